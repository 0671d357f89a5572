import ConfigValues
import Foundation
import Prometheus
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

/// The jobs against the real PostgreSQL, each on a database of its own with `seedRows`.
@Suite struct JobsTests {
    static func seeded() async throws -> (url: String, connection: PostgresConnection) {
        let url = try await TestDatabase.create(months: [(2026, 1), (2026, 2), (2026, 3), (2026, 4)])
        let connection = try await TestDatabase.connect(url)
        try await SeedRow.insert(seedRows, into: connection)
        return (url, connection)
    }

    static func runner(_ url: String, jobs: JobsConfiguration = JobsConfiguration(), retention: RetentionConfiguration = RetentionConfiguration(),
                       metrics: JobMetrics? = nil) -> JobRunner {
        JobRunner(jobs: jobs, retention: retention, databaseURL: Secret(url), metrics: metrics, logger: testLogger, instance: "tests")
    }

    @Test func hourlyRollupFindsAndRepairsDifferences() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let store = ActivityStore(connection: connection)
        let clean = try await store.verifyHourlyRollup(hours: 24 * 60, now: referenceNow, dryRun: false)
        #expect(clean["counts_differing"] == 0 && clean["hours_repaired"] == 0)
        // Three kinds of damage: a count too high, a count missing, a count for no rows.
        try await connection.execute("UPDATE activity_hourly SET rows = rows + 5 WHERE hour = date_trunc('hour', '\(SQLTime.text(hoursAgo(3)))'::timestamptz, 'UTC')")
        try await connection.execute("DELETE FROM activity_hourly WHERE hour = date_trunc('hour', '\(SQLTime.text(hoursAgo(25)))'::timestamptz, 'UTC')")
        try await connection.execute("INSERT INTO activity_hourly VALUES (date_trunc('hour', '\(SQLTime.text(hoursAgo(30)))'::timestamptz, 'UTC'), 'ghost', 7)")
        #expect(try await !RollupTests.rollupMatchesRows(connection))

        let dry = try await store.verifyHourlyRollup(hours: 48, now: referenceNow, dryRun: true)
        #expect(dry["hours_differing"] == 3 && dry["rows_difference"] == 5 + 1 + 7 && dry["hours_repaired"] == 0)
        #expect(try await !RollupTests.rollupMatchesRows(connection))

        // Through the runner, as the scheduler runs it: recorded with its figures.
        var jobs = JobsConfiguration()
        jobs.hourlyRollup.hours = 48
        let result = await Self.runner(url, jobs: jobs).run(.hourlyRollup, scheduledFor: nil, now: { referenceNow })
        guard case .ran(let run, let report) = result else { Issue.record("not run: \(result)"); return }
        #expect(run.outcome == .ok && report?["hours_repaired"] == 3, "\(run)")
        #expect(try await RollupTests.rollupMatchesRows(connection))
        let figures = try await connection.execute("SELECT figures->>'hours_repaired', outcome FROM job_runs WHERE job = 'hourly-rollup'")
        #expect(figures == [["3", "ok"]])
    }

    @Test func hourlyRollupLooksOnlyAtTheLastHours() async throws {
        let (_, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        try await connection.execute("UPDATE activity_hourly SET rows = rows + 1 WHERE hour < '\(SQLTime.text(hoursAgo(100)))'::timestamptz")
        let report = try await ActivityStore(connection: connection).verifyHourlyRollup(hours: 24, now: referenceNow, dryRun: false)
        #expect(report["counts_differing"] == 0 && report["hours_checked"] == 25)
    }

    @Test func systemMetricsRetentionRemovesOldMinutes() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        for (minute, instance) in [(hoursAgo(24 * 40), "a"), (hoursAgo(24 * 31), "b"), (hoursAgo(24 * 29), "a"), (hoursAgo(1), "b")] {
            try await connection.execute("INSERT INTO system_metrics (minute, instance_id, requests_2xx) VALUES ($1::timestamptz, $2, 10)",
                                         parameters: [SQLTime.text(minute), instance])
        }
        let runner = Self.runner(url)
        let dry = try await runner.dryRun(.systemMetricsRetention, now: referenceNow)
        #expect(dry["removed_rows"] == 2)
        #expect(try await connection.execute("SELECT count(*) FROM system_metrics").first?.first == "4")
        guard case .ran(let run, let report) = await runner.run(.systemMetricsRetention, scheduledFor: nil, now: { referenceNow }) else {
            Issue.record("not run"); return
        }
        #expect(run.outcome == .ok && report?["removed_rows"] == 2)
        #expect(try await connection.execute("SELECT count(*) FROM system_metrics").first?.first == "2")
    }

    @Test func activityRetentionIsOffWithoutRetentionDays() async throws {
        let runner = JobRunner(jobs: JobsConfiguration(), retention: RetentionConfiguration(), databaseURL: nil, metrics: nil, logger: testLogger)
        #expect(runner.unavailableReason(.activityRetention)?.contains("retention.days") == true)
        #expect(runner.unavailableReason(.hourlyRollup) == nil)
        #expect(JobPlan(configuration: JobsConfiguration(), excluded: Job.unavailable(retention: RetentionConfiguration()), now: referenceNow)
            .next(.activityRetention) == nil)
    }

    /// A second instance (here: a session holding the job's lock) makes the run `skipped`: counted,
    /// not recorded. A slot recorded already is skipped the same way.
    @Test func aLockedOrAlreadyRunSlotIsSkipped() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let registry = PrometheusCollectorRegistry()
        let runner = Self.runner(url, metrics: JobMetrics(registry: registry))
        let holder = try await TestDatabase.connect(url)
        try await holder.execute("SELECT pg_advisory_lock(\(Job.dailyRollup.lockKey))")
        let slot = Date(timeIntervalSince1970: 1_773_540_000)  // 2026-03-15T02:00Z
        guard case .skipped(let reason) = await runner.run(.dailyRollup, scheduledFor: slot, now: { referenceNow }) else {
            Issue.record("ran while another session held the lock"); return
        }
        #expect(reason.contains("lock"))
        #expect(try await connection.execute("SELECT count(*) FROM job_runs").first?.first == "0")
        await holder.close()

        guard case .ran(let run, _) = await runner.run(.dailyRollup, scheduledFor: slot, now: { referenceNow }) else {
            Issue.record("did not run once the lock was free"); return
        }
        #expect(run.outcome == .ok)
        guard case .skipped = await runner.run(.dailyRollup, scheduledFor: slot, now: { referenceNow }) else {
            Issue.record("ran the same slot twice"); return
        }
        #expect(try await connection.execute("SELECT count(*) FROM job_runs").first?.first == "1")
        let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(metrics.contains(#"trackingproxy_job_runs_total{job="daily-rollup",outcome="skipped"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"trackingproxy_job_runs_total{job="daily-rollup",outcome="ok"} 1"#))
        #expect(metrics.contains(#"trackingproxy_job_last_success_timestamp_seconds{job="daily-rollup"} 1773576000"#), "\(metrics)")

        let histories = try await ActivityStore(connection: connection).jobHistories()
        #expect(histories[.dailyRollup]?.lastRun?.outcome == .ok && histories[.dailyRollup]?.lastRun?.scheduledFor == slot)
        #expect(histories[.dailyRollup]?.lastSuccess == referenceNow)
        #expect(histories[.hourlyRollup]?.lastRun == nil)
    }

    @Test func aFailedRunIsRecordedWithItsError() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        try await connection.execute("DROP TABLE system_metrics CASCADE")  // system_metrics_exceptions refers to it (migration 5)
        guard case .ran(let run, nil) = await Self.runner(url).run(.systemMetricsRetention, scheduledFor: nil, now: { referenceNow }) else {
            Issue.record("no failed run"); return
        }
        #expect(run.outcome == .failed && run.error?.contains("system_metrics") == true)
        let recorded = try await connection.execute("SELECT outcome, error IS NOT NULL FROM job_runs")
        #expect(recorded == [["failed", "t"]])
    }

    /// The scheduler with a clock the test sets: nothing at 02:59, activity-retention at 03:00.
    ///
    /// The clock moves only once the scheduler has made its plan and gone to sleep (its first
    /// `sleep`): the plan reads `job_runs` first, and a plan made after the clock already says
    /// 03:00 rightly schedules the next Sunday. A fixed 300 ms pause before moving the clock made
    /// this test fail on a loaded CI machine, where reading `job_runs` took longer.
    @Test func theSchedulerRunsAJobWhenItsTimeComes() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let stepped = SteppedJobClock(JobScheduleTests.utc("2026-03-15T02:59:00Z"))
        var jobs = JobsConfiguration()
        jobs.hourlyRollup.enabled = false
        let runner = Self.runner(url, jobs: jobs, retention: RetentionConfiguration(days: 3_650))
        let scheduler = JobScheduler(runner: runner, configuration: jobs, clock: stepped.clock, logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await scheduler.run() }
            #expect(try await stepped.waitUntilTheSchedulerSleeps(), "the scheduler never went to sleep after planning")
            #expect(try await connection.execute("SELECT count(*) FROM job_runs").first?.first == "0")
            stepped.set(JobScheduleTests.utc("2026-03-15T03:00:00Z"))
            var recorded: [[String?]] = []
            for _ in 0..<600 where recorded.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                recorded = try await connection.execute("SELECT job, outcome, scheduled_for = '2026-03-15T03:00:00Z' FROM job_runs")
            }
            #expect(recorded == [["activity-retention", "ok", "t"]])
            group.cancelAll()
        }
    }

    // MARK: daily rollup

    static let dailyFilters: [ActivityFilter] = [
        try! ActivityFilter(),
        try! ActivityFilter(userID: "alice"),
        try! ActivityFilter(userID: "bob", from: hoursAgo(30 * 24), to: referenceNow),
        try! ActivityFilter(from: hoursAgo(14 * 24 + 5), to: hoursAgo(5)),
        try! ActivityFilter(from: hoursAgo(20 * 24), to: hoursAgo(24), activityTypes: ["login", "report.view"]),
        try! ActivityFilter(userID: "carol", from: hoursAgo(30 * 24), to: hoursAgo(2)),
    ]

    /// After `daily-rollup`, the summary reads `activity_daily` for whole days and agrees with
    /// counting `activity`; a late row makes its day fall back to counting until the next run.
    @Test func dailyRollupAgreesWithTheRawNumbers() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let store = ActivityStore(connection: connection)
        func agree() async throws {
            for filter in Self.dailyFilters {
                for grouping in [SummaryGrouping.user, .type, .day] {
                    let counted = try await store.summary(filter, groupBy: grouping, top: nil, now: referenceNow, rollup: false)
                    let read = try await store.summary(filter, groupBy: grouping, top: nil, now: referenceNow, rollup: nil)
                    #expect(counted.groups == read.groups && counted.total == read.total && counted.previousTotal == read.previousTotal,
                            "\(filter) by \(grouping)")
                }
            }
        }
        var jobs = JobsConfiguration()
        jobs.dailyRollup.days = 60
        guard case .ran(let run, let report) = await Self.runner(url, jobs: jobs).run(.dailyRollup, scheduledFor: nil, now: { referenceNow }) else {
            Issue.record("not run"); return
        }
        #expect(run.outcome == .ok && report?["days"] == 60)
        // Every seed row but the three of today (2026-03-15) is in a computed day.
        #expect(report?["rows"] == seedRows.count - 4)
        let period = SummaryPeriod(from: hoursAgo(30 * 24), to: referenceNow)
        let candidates = try #require(period.dailyCandidates(grouping: .user, filter: try ActivityFilter()))
        let valid = try await connection.run { try ActivityStore.validDailyDays(candidates, session: $0) }
        #expect(valid.count == candidates.count)
        try await agree()

        // A late row for 2026-03-12 (row 6's day): that day is no longer read from the rollup.
        try await SeedRow.insert([SeedRow(id: 500, at: hoursAgo(72.5), user: "dave", type: "login")], into: connection)
        let stillValid = try await connection.run { try ActivityStore.validDailyDays(candidates, session: $0) }
        #expect(stillValid.count == candidates.count - 1 && !stillValid.contains(ActivityStore.utcDay(hoursAgo(72.5))))
        try await agree()

        // Active users: 2026-03-14 has one (row 4, bob).
        let users = try await connection.execute("""
            SELECT period, users FROM activity_active_users WHERE period_start = '2026-03-14' AND period = 'day'
            UNION ALL SELECT period, users FROM activity_active_users WHERE period = 'month' AND period_start = '2026-03-01'
            UNION ALL SELECT period, users FROM activity_active_users WHERE period = 'week' AND period_start = '2026-03-09'
            """)
        // March before the 15th: alice, bob, carol (a NULL user is not one); the week from Monday the 9th: bob, carol.
        #expect(users == [["day", "1"], ["month", "3"], ["week", "2"]])
    }

    @Test func dailyRollupDryRunChangesNothing() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let report = try await Self.runner(url).dryRun(.dailyRollup, now: referenceNow)
        #expect(report["days"] == 3 && report.summary.contains("2026-03-12 to 2026-03-14"))
        #expect(try await connection.execute("SELECT count(*) FROM activity_daily_days").first?.first == "0")
    }
}
