import ActivityRules
import ArgumentParser

/// `rules check FILE…`: validate rules files and warn about unused, shadowed and unreachable rules.
struct RulesCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate rules files; print each problem as file:line:col: error[code]: sentence.",
        discussion: "Warnings (unused lists, disabled, shadowed, unreachable and untested rules) do not change the exit code. Exit 1 on any error."
    )

    @Argument(help: "Rules files to check.")
    var files: [String] = ["rules/reports-app.yaml"]

    func run() throws {
        let output = RuleChecker.check(files: files)
        print(output.text, terminator: "")
        if output.exitCode != 0 { throw ExitCode(output.exitCode) }
    }
}
