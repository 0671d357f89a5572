import ActivityRules
import ArgumentParser

/// `rules test FILE…`: run the test cases that live beside the rules.
struct RulesTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rules test files; print PASS/FAIL per case with a diff, then `N passed, M failed`.",
        discussion: "Exit 1 when a case fails or a file cannot be loaded."
    )

    @Argument(help: "Rules test files (*.test.yaml).")
    var files: [String] = ["rules/reports-app.test.yaml"]

    func run() throws {
        let output = RuleTestRunner.run(files: files)
        print(output.text, terminator: "")
        if output.exitCode != 0 { throw ExitCode(output.exitCode) }
    }
}
