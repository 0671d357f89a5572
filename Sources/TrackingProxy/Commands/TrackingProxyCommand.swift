import ArgumentParser

/// `trackingproxy`: the activity-tracking reverse proxy and its tools.
struct TrackingProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trackingproxy",
        abstract: "An activity-tracking reverse proxy: forwards requests to an app and records what users did.",
        version: TrackingProxyVersion.description,
        subcommands: [ServeCommand.self, AnalyticsCommand.self, ConfigCommand.self, RulesCommand.self, DatabaseCommand.self, ActivityCommand.self, JobsCommand.self, ReportCommand.self, DoctorCommand.self],
        defaultSubcommand: nil
    )
}
