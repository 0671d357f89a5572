import Analytics
import ArgumentParser
import Foundation
import JSONWriting

/// `trackingproxy jobs list`: every job, its schedule, last run and next run.
struct JobsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the scheduled jobs: schedule, last run (from job_runs) and next run.",
        discussion: "Jobs: \(Job.allCases.map(\.rawValue).joined(separator: ", ")). Without a reachable database, the last runs are shown as unknown."
    )

    @OptionGroup var options: JobsOptions

    func run() async throws {
        let configuration = try options.load()
        let runner = options.runner(configuration)
        var histories: [Job: JobHistory]?
        do {
            histories = try await runner.histories()
        } catch {
            StandardError.write("warning: last runs unknown: \(error)")
        }
        let statuses = JobStatus.all(
            configuration: configuration.jobs, unavailable: Job.unavailable(retention: configuration.retention),
            retention: configuration.retention, histories: histories, now: Date())
        switch options.format {
        case .json:
            StandardOutput.write(JSONText.array(statuses.map(\.json)) + "\n")
        case .text:
            var table = TextTable(columns: [
                .init(title: "JOB"), .init(title: "SCHEDULE"), .init(title: "LAST RUN (UTC)"), .init(title: "OUTCOME"),
                .init(title: "NEXT RUN (UTC)", flexible: true, minimumWidth: 16),
            ])
            for status in statuses {
                let last = status.history?.lastRun
                table.rows.append([
                    status.job.rawValue, "\(status.schedule) \(status.timeZone)",
                    histories == nil ? "unknown" : last.map { Self.time($0.startedAt) } ?? "never",
                    last?.outcome.rawValue ?? "-",
                    status.offReason.map { "off: \($0)" } ?? status.nextRun.map(Self.time) ?? "-",
                ])
            }
            StandardOutput.write(table.render())
        }
    }

    static func time(_ date: Date) -> String {
        String(date.formatted(Date.ISO8601FormatStyle()).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}
