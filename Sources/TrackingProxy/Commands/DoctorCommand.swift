import ArgumentParser
import DeploymentConfiguration
import Doctor
import Foundation
import Logging

/// `trackingproxy doctor`: checks a deployment and says what to do next (the old
/// `initialize_analytics`). The checks are the `Doctor` library's; this only reads the flags.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a deployment (configuration, rules, upstream, spool, tokens, PostgreSQL, schema, partitions, jobs, heartbeats) and say what to fix.",
        discussion: """
            One line per check: ok, warning or error, with the fix. Exit status 0 when every check is ok, \
            1 when some are warnings, 2 when some are errors. --fix migrates the schema and creates missing \
            partitions; --days N --fix also builds the daily and hourly rollups of the last N days.
            """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text, json
    }

    @Option(name: .long, help: "YAML configuration file. Without it, defaults apply.")
    var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL: a libpq conninfo string or postgresql:// URI (default: ingest.database.url, else the PG* variables).")
    var databaseURL: String?

    @Flag(name: .long, help: "Migrate the schema and create missing partitions (and, with --days, build the rollups).")
    var fix = false

    @Option(name: .long, help: "With --fix: build the rollups of the last N days (\(Doctor.allowedRollupDays.lowerBound) to \(Doctor.allowedRollupDays.upperBound)).")
    var days: Int?

    @Option(name: .long, help: "Output: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .text

    func validate() throws {
        if let days {
            guard Doctor.allowedRollupDays.contains(days) else {
                throw ValidationError("--days must be a whole number from \(Doctor.allowedRollupDays.lowerBound) to \(Doctor.allowedRollupDays.upperBound) (got \(days)).")
            }
            guard fix else { throw ValidationError("--days builds rollups, which changes the database: give --fix with it.") }
        }
    }

    func run() async throws {
        let overrides = ConfigurationOptions.overrides(
            environment: ProcessInfo.processInfo.environment,
            flags: [(databaseURL.map(ConfigurationOverride.quoted), "database-url", ["ingest", "database", "url"])])
        var logger = Logger(label: "trackingproxy.doctor")
        logger.logLevel = .warning
        let doctor = Doctor(configurationPath: config, overrides: overrides, options: .init(fix: fix, rollupDays: days), logger: logger)
        let report = await doctor.run()
        StandardOutput.write(format == .json ? report.json : report.text)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
