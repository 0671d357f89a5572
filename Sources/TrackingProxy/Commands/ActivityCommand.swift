import ArgumentParser

/// `trackingproxy activity`: who did what, when, from where, without writing SQL.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Query recorded activity: list rows, summarise them, or export them.",
        subcommands: [ActivityListCommand.self, ActivitySummaryCommand.self, ActivityExportCommand.self]
    )
}
