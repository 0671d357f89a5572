import ArgumentParser
import Ingest
import Logging
import PostgreSQL

/// `trackingproxy db migrate`: creates or upgrades the activity schema.
///
/// Versioned and idempotent; each step runs in a transaction under an advisory lock, so several
/// sidecars starting together do not race. `serve` does the same at start unless
/// `ingest.database.migrate_on_start` is false.
struct DatabaseMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the activity schema (idempotent, safe to run concurrently)."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.load()
        var logger = Logger(label: "trackingproxy")
        logger.logLevel = Logger.Level(rawValue: configuration.log.level) ?? .info
        let connection = try await PostgresConnection.connect(
            url: configuration.ingest.database.url, connectTimeout: configuration.ingest.database.connectTimeout)
        do {
            let applied = try await Migrator(logger: logger).migrate(connection)
            print(applied.isEmpty ? "schema up to date (\(connection.target))" : "applied migrations \(applied.map(String.init).joined(separator: ", ")) on \(connection.target)")
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}
