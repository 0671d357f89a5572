import ArgumentParser

/// `trackingproxy rules`: tools for reviewers of the rules file.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check, test and explain activity rules files.",
        subcommands: [RulesCheckCommand.self, RulesTestCommand.self, RulesExplainCommand.self, RulesCoverageCommand.self]
    )
}
