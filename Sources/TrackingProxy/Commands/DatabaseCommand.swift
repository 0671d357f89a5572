import ArgumentParser

/// `trackingproxy db …`: the activity database.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Activity database tools.",
        subcommands: [DatabaseMigrateCommand.self, DatabasePruneCommand.self, DatabaseImportLegacyCommand.self]
    )
}
