import Foundation
import Logging
import PostgreSQL
import ServiceLifecycle

/// Runs the analytics service's jobs at their slots (`JobPlan`), one at a time, through
/// `JobRunner` (advisory lock, `job_runs`, metrics). A service of `analytics serve`.
///
/// It wakes at the earliest slot, and at least every `maximumSleep`, reading the wall clock
/// again each time, so that a clock set forward or back (or a test's clock) is noticed within a
/// minute. A failed job is recorded and runs again at its next slot; nothing stops the
/// scheduler but shutdown. At graceful shutdown a job in progress finishes first.
public struct JobScheduler: Service {
    /// The longest wait between two looks at the clock.
    public static let maximumSleep = Duration.seconds(60)

    let runner: JobRunner
    let configuration: JobsConfiguration
    let clock: JobClock
    let logger: Logger

    public init(runner: JobRunner, configuration: JobsConfiguration, clock: JobClock = .system, logger: Logger) {
        self.runner = runner
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// The plan at start: missed slots come from `job_runs` (unreadable: none are caught up).
    func initialPlan() async -> JobPlan {
        let excluded = Set(Job.allCases.filter { runner.unavailableReason($0) != nil })
        var lastRuns: [Job: Date] = [:]
        do {
            let histories = try await runner.histories()
            for (job, history) in histories {
                if let run = history.lastRun { lastRuns[job] = run.scheduledFor ?? run.startedAt }
                if let success = history.lastSuccess { runner.metrics?.succeeded(job, at: success.timeIntervalSince1970) }
            }
        } catch {
            logger.warning("jobs: last runs unreadable; no missed run is caught up", metadata: ["error.message": "\(error)"])
        }
        let plan = JobPlan(configuration: configuration, excluded: excluded, now: clock.now(), lastRuns: lastRuns)
        for entry in plan.entries {
            logger.info("job scheduled", metadata: [
                "job.name": "\(entry.job.rawValue)", "job.schedule": "\(entry.schedule) \(entry.zone.identifier)",
                "job.next": "\(SQLTime.text(entry.next))",
            ])
        }
        return plan
    }

    public func run() async throws {
        var plan = await initialPlan()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = clock.now()
            for (job, slot) in plan.due(at: now) {
                guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
                _ = await runner.run(job, scheduledFor: slot, now: clock.now)
                plan.handled(job, at: clock.now())
            }
            let wait = plan.earliest.map { max(0, $0.timeIntervalSince(clock.now())) } ?? 3_600
            let sleep = min(Self.maximumSleep, .milliseconds(Int64((wait * 1_000).rounded(.up))))
            do {
                try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(sleep) }
            } catch {
                return
            }
        }
    }
}

extension JobRunner {
    /// Each job's latest run and success, on a connection of its own.
    public func histories() async throws -> [Job: JobHistory] {
        let connection = try await PostgresConnection.connect(url: databaseURL, applicationName: "trackingproxy-jobs")
        do {
            let histories = try await ActivityStore(connection: connection).jobHistories()
            await connection.close()
            return histories
        } catch {
            await connection.close()
            throw error
        }
    }
}
