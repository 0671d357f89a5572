import ActivityRules
import Foundation
import Testing
@testable import DeploymentConfiguration
@testable import ProxyCore

/// `--config /dev/zero` and `rules_file: /dev/zero` read forever before files were bounded
/// (`BoundedTextFile`): now each is a sentence naming the file.
@Suite struct NamedFileBoundsTests {
    @Test func aConfigurationPathThatIsNoRegularFileIsRefused() {
        for path in ["/dev/zero", "/tmp"] {
            do {
                _ = try ConfigurationLoader<ProxyConfiguration>().load(path: path, overrides: [])
                Issue.record("\(path) was read as a configuration")
            } catch {
                #expect(error.message.contains("the configuration file is not a regular file"), "\(error)")
            }
            do {
                _ = try TrackingConfiguration.load(configFile: path)
                Issue.record("\(path) was read as a configuration")
            } catch {
                #expect(error.message == "The configuration file is not a regular file; give the path of the configuration file.")
            }
        }
    }

    @Test func aRulesPathThatIsNoRegularFileIsRefused() {
        do {
            _ = try RuleSet.load(path: "/dev/zero")
            Issue.record("/dev/zero was read as rules")
        } catch {
            #expect(error.code == "unreadable")
            #expect(error.message == "The rules file is not a regular file; give the path of the rules file.")
        }
        let output = RuleChecker.check(files: ["/dev/zero"])
        #expect(output.text.contains("/dev/zero:0:0: error[unreadable]: The rules file is not a regular file"), "\(output.text)")
        #expect(output.exitCode != 0)
    }
}
