import ConfigValues
import Foundation
import Logging
import PostgreSQL

/// Runs one job once: under its advisory lock, on connections of its own, recorded in `job_runs`.
///
/// The lock (`pg_try_advisory_lock(job.lockKey)`) is taken on a dedicated session that does
/// nothing else, so it is held exactly while the job runs and released by PostgreSQL if this
/// process dies. When another instance holds it, the run is `skipped`: counted in this
/// instance's metrics and logged, never recorded (the holder records its own run). A scheduled
/// slot already recorded by another instance is skipped the same way, so two instances never
/// run one slot twice even when their runs do not overlap. libpq runs on each connection's own
/// thread (`PostgresConnection`), never on the cooperative pool.
public struct JobRunner: Sendable {
    /// What a call to `run` ended with.
    public enum Result: Sendable {
        /// The job ran; its record (outcome `ok` or `failed`) and, when ok, its report.
        case ran(JobRun, JobReport?)
        /// It did not run: another instance held the lock, or had run this slot already.
        case skipped(String)
    }

    let jobs: JobsConfiguration
    let retention: RetentionConfiguration
    let reports: ReportsConfiguration
    let databaseURL: Secret?
    let metrics: JobMetrics?
    let instance: String
    let logger: Logger

    public init(jobs: JobsConfiguration, retention: RetentionConfiguration, reports: ReportsConfiguration = ReportsConfiguration(),
                databaseURL: Secret?, metrics: JobMetrics?, logger: Logger,
                instance: String = ProcessInfo.processInfo.hostName + ":\(ProcessInfo.processInfo.processIdentifier)") {
        self.jobs = jobs
        self.retention = retention
        self.reports = reports
        self.databaseURL = databaseURL
        self.metrics = metrics
        self.instance = instance
        self.logger = logger
    }

    /// Why `job` cannot run with this configuration, or nil. Only activity-retention has a
    /// precondition: `retention.days` (unset keeps every row, as before issue 12).
    public func unavailableReason(_ job: Job) -> String? {
        job.unavailableReason(retention: retention)
    }

    /// The job's work on `store`, as of `now`. A dry run changes nothing.
    public func perform(_ job: Job, store: ActivityStore, now: Date, dryRun: Bool) async throws -> JobReport {
        if let reason = unavailableReason(job) { throw StorageError.invalidInput(reason) }
        let settings = jobs[job]
        switch job {
        case .activityRetention:
            let days = retention.days ?? RetentionConfiguration.allowedDays.upperBound
            let report = try await store.prune(olderThan: now.addingTimeInterval(-Double(days) * 86_400), now: now, dryRun: dryRun)
            return JobReport(summary: report.summary, figures: [
                .init("removed_rows", report.removedRows), .init("dropped_partitions", report.droppedPartitions.count),
                .init("deleted_rows", report.deletedRows), .init("created_partitions", report.createdPartitions.count),
            ])
        case .systemMetricsRetention:
            let days = settings.days ?? 30
            return try await store.pruneSystemMetrics(olderThan: now.addingTimeInterval(-Double(days) * 86_400), dryRun: dryRun)
        case .hourlyRollup:
            return try await store.verifyHourlyRollup(hours: settings.hours ?? 24, now: now, dryRun: dryRun)
        case .dailyRollup:
            return try await store.computeDailyRollup(days: settings.days ?? 3, now: now, dryRun: dryRun)
        case .weeklyReport:
            return try await writeWeeklyReport(store: store, now: now, dryRun: dryRun)
        }
    }

    /// A dry run: what `job` would do now, on one connection, without its lock; records nothing.
    public func dryRun(_ job: Job, now: Date) async throws -> JobReport {
        let connection = try await PostgresConnection.connect(url: databaseURL, applicationName: "trackingproxy-jobs")
        do {
            let report = try await perform(job, store: ActivityStore(connection: connection), now: now, dryRun: true)
            await connection.close()
            return report
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `job` for the slot `scheduledFor` (nil: on demand) as of `now()`; never throws: a
    /// failure is recorded (when the database lets it) and returned.
    public func run(_ job: Job, scheduledFor: Date?, now: @Sendable () -> Date) async -> Result {
        var logger = self.logger
        logger[metadataKey: "job.name"] = "\(job.rawValue)"
        let lock: PostgresConnection
        do {
            lock = try await PostgresConnection.connect(url: databaseURL, applicationName: "trackingproxy-jobs-lock")
        } catch {
            return finish(job, scheduledFor: scheduledFor, started: now(), now: now, result: .failure(error), logger: logger)
        }
        let result = await run(job, scheduledFor: scheduledFor, lock: lock, now: now, logger: logger)
        await lock.close()
        return result
    }

    /// The rest of `run`, on the lock's session; closing it (which releases the lock too) is the caller's.
    private func run(_ job: Job, scheduledFor: Date?, lock: PostgresConnection, now: @Sendable () -> Date, logger: Logger) async -> Result {
        do {
            let locked = try await lock.execute("SELECT pg_try_advisory_lock(\(job.lockKey))", operation: "\(job.rawValue): lock")
            guard locked.first?.first == "t" else {
                metrics?.count(job, .skipped)
                logger.info("job skipped: another instance is running it")
                return .skipped("another instance holds the lock of \(job.rawValue) and is running it")
            }
            let lockStore = ActivityStore(connection: lock)
            if let scheduledFor, try await lockStore.hasRun(job, scheduledFor: scheduledFor) {
                _ = try? await lock.execute("SELECT pg_advisory_unlock(\(job.lockKey))", operation: "\(job.rawValue): unlock")
                metrics?.count(job, .skipped)
                logger.debug("job skipped: this slot ran on another instance", metadata: ["job.slot": "\(SQLTime.text(scheduledFor))"])
                return .skipped("another instance ran the \(SQLTime.text(scheduledFor)) run of \(job.rawValue) already")
            }
        } catch {
            return finish(job, scheduledFor: scheduledFor, started: now(), now: now, result: .failure(error), logger: logger)
        }
        let started = now()
        var result: Swift.Result<JobReport, any Error>
        do {
            let work = try await PostgresConnection.connect(url: databaseURL, applicationName: "trackingproxy-jobs")
            do {
                result = .success(try await perform(job, store: ActivityStore(connection: work), now: started, dryRun: false))
            } catch {
                result = .failure(error)
            }
            await work.close()
        } catch {
            result = .failure(error)
        }
        let outcome = finish(job, scheduledFor: scheduledFor, started: started, now: now, result: result, logger: logger)
        if case .ran(let run, _) = outcome {
            do {
                try await ActivityStore(connection: lock).record(run, instance: instance)
            } catch {
                logger.warning("job run not recorded", metadata: ["error.message": "\(error)"])
            }
        }
        _ = try? await lock.execute("SELECT pg_advisory_unlock(\(job.lockKey))", operation: "\(job.rawValue): unlock")
        return outcome
    }

    private func finish(
        _ job: Job, scheduledFor: Date?, started: Date, now: () -> Date, result: Swift.Result<JobReport, any Error>, logger: Logger
    ) -> Result {
        let finished = now()
        switch result {
        case .success(let report):
            metrics?.count(job, .ok)
            metrics?.succeeded(job, at: finished.timeIntervalSince1970)
            logger.info("job ran: \(report.summary)", metadata: ["job.outcome": "ok", "job.figures": "\(report.figuresJSON)"])
            return .ran(JobRun(job: job.rawValue, scheduledFor: scheduledFor, startedAt: started, finishedAt: finished, outcome: .ok,
                               figuresJSON: report.figuresJSON, error: nil), report)
        case .failure(let error):
            metrics?.count(job, .failed)
            logger.warning("job failed; it runs again at its next slot", metadata: ["job.outcome": "failed", "error.message": "\(error)"])
            return .ran(JobRun(job: job.rawValue, scheduledFor: scheduledFor, startedAt: started, finishedAt: finished, outcome: .failed,
                               figuresJSON: "{}", error: "\(error)"), nil)
        }
    }
}
