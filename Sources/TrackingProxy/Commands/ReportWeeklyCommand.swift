import Analytics
import ArgumentParser
import DeploymentConfiguration
import Foundation
import PostgreSQL

/// How `report weekly` prints.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case markdown, html, json
}

/// `trackingproxy report weekly [--week 2026-W48] [--format markdown|html|json] [--output FILE]`:
/// one ISO week against the week before, as the `weekly-report` job writes it.
struct ReportWeeklyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weekly",
        abstract: "The weekly stakeholder report: one ISO week (UTC) against the week before.",
        discussion: """
            Totals and change, by activity type, top users, busiest days and hours, new and returning users, \
            error rate and latency, rows dropped or dead-lettered. Without --week: the last complete week.
            """
    )

    @Option(name: .long, help: "The ISO week, YYYY-Www (e.g. 2026-W48). Default: the last complete week (UTC).")
    var week: String?

    @Option(name: .long, help: "Output: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ReportFormat = .markdown

    @Option(name: .long, help: "Write to this file (atomically: a temporary file, then a rename) instead of standard output.")
    var output: String?

    @Option(name: .long, help: "YAML configuration file (reads ingest.database). Without it, defaults apply.")
    var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL: a libpq conninfo string or postgresql:// URI (default: ingest.database.url, else the PG* variables).")
    var databaseURL: String?

    func validate() throws {
        if let week { _ = try Self.parse(week) }
    }

    /// The week of `--week`, or a `ValidationError` with its sentence (exit status 64).
    static func parse(_ text: String) throws -> ISOWeek {
        do {
            return try ISOWeek(parsing: text)
        } catch {
            throw ValidationError("--week: \(error.description).")
        }
    }

    func run() async throws {
        let now = Date()
        let reportWeek = try week.map(Self.parse) ?? ISOWeek.lastComplete(before: now)
        let overrides = ConfigurationOptions.overrides(
            environment: ProcessInfo.processInfo.environment,
            flags: [(databaseURL.map(ConfigurationOverride.quoted), "database-url", ["ingest", "database", "url"])])
        let configuration = try ConfigurationLoader<ProxyConfiguration>().load(path: config, overrides: overrides)
        let connection = try await PostgresConnection.connect(url: configuration.ingest.database.url, applicationName: "trackingproxy-report")
        let report: WeeklyReport
        do {
            report = try await ActivityStore(connection: connection).weeklyReport(week: reportWeek, now: now)
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
        let text = switch format {
        case .markdown: report.markdown
        case .html: report.html
        case .json: report.json + "\n"
        }
        if let output {
            try ReportFiles.writeAtomically(text, to: URL(fileURLWithPath: output))
        } else {
            StandardOutput.write(text)
        }
    }
}
