import ArgumentParser

/// `trackingproxy report …`: reports for people who read, not query.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for stakeholders: the weekly activity report.",
        subcommands: [ReportWeeklyCommand.self]
    )
}
