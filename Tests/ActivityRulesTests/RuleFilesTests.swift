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

    @Test(arguments: testFiles.map { String($0.dropLast(".test.yaml".count)) + ".yaml" })
    func rulesFileChecksClean(_ file: String) {
        let output = RuleChecker.check(files: [file])
        #expect(output.exitCode == 0, "\(output.text)")
        #expect(output.text.hasSuffix("0 errors, 0 warnings\n"), "\(output.text)")
    }
}
