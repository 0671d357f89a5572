import Foundation
import JSONWriting

/// One job as `system-health`, the dashboard and `jobs list` show it: schedule, whether it is
/// on, its next slot and its latest runs.
public struct JobStatus: Sendable, Equatable {
    public var job: Job
    public var schedule: JobSchedule
    public var timeZone: String
    /// Why the scheduler does not run it (`enabled: false`, or a precondition), or nil.
    public var offReason: String?
    /// The next slot after `now` (nil when off).
    public var nextRun: Date?
    /// From `job_runs`; nil when unreadable.
    public var history: JobHistory?

    /// Every job's status at `now`.
    public static func all(configuration: JobsConfiguration, unavailable: Set<Job>, retention: RetentionConfiguration,
                           histories: [Job: JobHistory]?, now: Date) -> [JobStatus] {
        Job.allCases.map { job in
            let settings = configuration[job]
            let zone = configuration.zone(of: job)
            var off: String?
            if !settings.enabled { off = "jobs.\(job.configurationKey).enabled is false" }
            if unavailable.contains(job) { off = job.unavailableReason(retention: retention) ?? "off" }
            return JobStatus(
                job: job, schedule: settings.schedule, timeZone: settings.timeZone ?? configuration.timeZone, offReason: off,
                nextRun: off == nil ? settings.schedule.nextRun(after: now, in: zone) : nil,
                history: histories.map { $0[job] ?? JobHistory() })
        }
    }

    static let time = Date.ISO8601FormatStyle(includingFractionalSeconds: false)

    /// A member of `system-health`'s `jobs` array and of `jobs list --format json`.
    public var json: String {
        var object = JSONText.Object()
        object.add("job", string: job.rawValue)
        object.add("schedule", string: schedule.description)
        object.add("time_zone", string: timeZone)
        object.add("enabled", raw: offReason == nil ? "true" : "false")
        object.add("off_reason", string: offReason)
        object.add("next_run", string: nextRun?.formatted(Self.time))
        var last: String?
        if let run = history?.lastRun {
            var item = JSONText.Object()
            item.add("started_at", string: run.startedAt.formatted(Self.time))
            item.add("finished_at", string: run.finishedAt.formatted(Self.time))
            item.add("outcome", string: run.outcome.rawValue)
            item.add("figures", raw: run.figuresJSON)
            item.add("error", string: run.error)
            last = item.text
        }
        object.add("last_run", raw: last)
        object.add("last_success", string: history?.lastSuccess?.formatted(Self.time))
        return object.text
    }
}
