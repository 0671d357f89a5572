import Analytics
import ArgumentParser
import ConfigValues
import Foundation
import PostgreSQL

/// `trackingproxy db import-legacy`: the old middleware's `user_activity` rows into `activity`.
struct DatabaseImportLegacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-legacy",
        abstract: "Copy the old middleware's user_activity rows (Django UserActivity) into activity, in batches; idempotent by id and resumable.",
        discussion: """
            Rows get rule_id 'legacy-import' and ip_verified false; the month partitions they need are created. \
            A rerun adds nothing; an import stopped half way and run again ends in the same state. \
            Bad values are repaired (noted in metadata.legacy_repairs) or the row is refused and reported. \
            Prints a line per batch and the rows imported per month.
            """
    )

    @Option(name: .customLong("source-url"), help: "The old application's PostgreSQL: a libpq conninfo string or postgresql:// URI.")
    var sourceURL: String

    @Option(name: .long, help: "The source table, name or schema.name (default user_activity).")
    var table = "user_activity"

    @Option(name: .long, help: "Only rows at or after this time: a date (2026-01-01), a time (RFC 3339) or an age (90d).")
    var since: String?

    @Option(name: .customLong("batch-size"), help: "Source rows per batch (1 to 100000, default 5000).")
    var batchSize = 5_000

    @OptionGroup var database: DatabaseOptions

    func importer() throws -> LegacyImport {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size: give 1 to 100000 rows.") }
        do {
            let sinceDate = try since.map { try TimeBound(parsing: $0).resolve(now: Date(), as: .lower) }
            return try LegacyImport(table: table, since: sinceDate, batchSize: batchSize)
        } catch let error as StorageError {
            throw ValidationError("\(error.message).")
        }
    }

    func validate() throws { _ = try importer() }

    func run() async throws {
        let importer = try importer()
        let source = try await PostgresConnection.connect(url: Secret(sourceURL), applicationName: "trackingproxy-import-legacy")
        let destination: PostgresConnection
        do {
            destination = try await database.connect()
        } catch {
            await source.close()
            throw error
        }
        let report: LegacyImport.Report
        do {
            report = try await importer.run(source: source, destination: destination) { progress in
                StandardError.write(progress.line)
            }
        } catch {
            await source.close()
            await destination.close()
            throw error
        }
        await source.close()
        await destination.close()
        let progress = report.progress
        StandardOutput.write("read \(progress.read) rows: imported \(progress.imported), already present \(progress.alreadyPresent), repaired \(progress.repaired), refused \(progress.refused)\n")
        for (month, rows) in report.importedPerMonth { StandardOutput.write("  \(month): \(rows) rows imported\n") }
        for refusal in report.refusals { StandardOutput.write("  refused \(refusal.id ?? "(no id)"): \(refusal.reason)\n") }
        if progress.refused > report.refusals.count {
            StandardOutput.write("  ... and \(progress.refused - report.refusals.count) more refused\n")
        }
    }
}
