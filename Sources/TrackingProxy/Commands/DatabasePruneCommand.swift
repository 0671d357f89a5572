import JSONWriting
import ArgumentParser
import ConfigValues
import Foundation
import Ingest
import DeploymentConfiguration
import Analytics

/// `trackingproxy db prune`: retention. Safe from cron and while the sidecar writes.
struct DatabasePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove activity older than a given age and make sure future partitions exist.",
        discussion: """
            Monthly partitions that lie entirely before the cutoff are detached concurrently and dropped; \
            older rows in the partition that straddles the cutoff are deleted in small batches. \
            Safe to run from cron and while sidecars write; two prunes never overlap (advisory lock).
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("older-than"), help: "Age of the rows to remove, e.g. 90d, 2160h (1h to 36500d).")
    var olderThan: String = "90d"

    @Flag(name: .customLong("dry-run"), help: "Report what would be removed; change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func age() throws -> ConfigDuration {
        let age: ConfigDuration
        do {
            age = try ConfigDuration(parsing: olderThan)
        } catch {
            throw ValidationError("--older-than: \"\(olderThan)\" is not an age: give a duration such as 90d or 2160h.")
        }
        guard age >= .seconds(3_600) else {
            throw ValidationError("--older-than: \(olderThan) is too short: give at least 1h (the platform's default is 90d).")
        }
        guard age.seconds <= Double(RetentionConfiguration.allowedDays.upperBound) * 86_400 else {
            throw ValidationError("--older-than: \(olderThan) is too long: give at most \(RetentionConfiguration.allowedDays.upperBound)d (100 years).")
        }
        return age
    }

    func validate() throws { _ = try age() }

    func run() async throws {
        let now = Date()
        let cutoff = now.addingTimeInterval(-(try age()).seconds)
        let report = try await withConnection(database) { try await $0.prune(olderThan: cutoff, now: now, dryRun: dryRun) }
        if json {
            var object = JSONText.Object()
            object.add("cutoff", string: cutoff.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            object.add("dry_run", raw: dryRun ? "true" : "false")
            object.add("dropped_partitions", raw: JSONText.array(report.droppedPartitions.map { partition in
                var item = JSONText.Object()
                item.add("name", string: partition.name)
                item.add("rows", raw: String(partition.rows))
                return item.text
            }))
            object.add("deleted_rows", raw: String(report.deletedRows))
            object.add("removed_rows", raw: String(report.removedRows))
            object.add("created_partitions", raw: JSONText.array(report.createdPartitions.map(JSONText.string)))
            StandardOutput.write(object.text + "\n")
        } else {
            StandardOutput.write(report.summary + "\n")
        }
    }
}
