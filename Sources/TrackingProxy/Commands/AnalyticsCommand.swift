import ArgumentParser

/// `trackingproxy analytics …`: the analytics service.
struct AnalyticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "The analytics service: the analysts' API, dashboard and scheduled jobs, one per deployment.",
        subcommands: [AnalyticsServeCommand.self, AnalyticsHashTokenCommand.self]
    )
}
