import ArgumentParser

/// `trackingproxy jobs …`: the analytics service's scheduled jobs, on demand.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "The analytics service's scheduled jobs: list them, or run one now.",
        subcommands: [JobsListCommand.self, JobsRunCommand.self]
    )
}
