import Foundation
import Testing
@testable import ActivityRules

/// Every `rules/*.test.yaml` in the repository runs under `swift test`, so a broken rule fails the build.
@Suite struct RuleFilesTests {
    static let testFiles: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: rulesDirectory)) ?? []
        return names.filter { $0.hasSuffix(".test.yaml") }.sorted().map { rulesDirectory + "/" + $0 }
    }()

    @Test func theRulesDirectoryHasTests() {
        #expect(!Self.testFiles.isEmpty, "no rules/*.test.yaml found under \(rulesDirectory)")
    }

    @Test(arguments: testFiles)
    func ruleTestFilePasses(_ file: String) {
        let output = RuleTestRunner.run(files: [file])
        #expect(output.exitCode == 0, "\(output.text)")
        #expect(output.text.hasSuffix(" 0 failed\n"))
    }

    /// Clean but for rules disabled on purpose (kept as documented examples, e.g. `report-view`).
    @Test(arguments: testFiles.map { String($0.dropLast(".test.yaml".count)) + ".yaml" })
    func rulesFileChecksClean(_ file: String) throws {
        let output = RuleChecker.check(files: [file])
        #expect(output.exitCode == 0, "\(output.text)")
        let ruleSet = try RuleSet.load(path: file)
        let warnings = RuleChecker.warnings(ruleSet, testedRuleIDs: RuleChecker.testedRuleIDs(besides: file, ruleSet: ruleSet))
        #expect(warnings.filter { $0.code != "disabled-rule" }.isEmpty, "\(output.text)")
    }
}
