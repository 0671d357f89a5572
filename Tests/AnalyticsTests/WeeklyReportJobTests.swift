import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
@testable import Analytics
@testable import PostgreSQL
import DeploymentConfiguration

/// Issue 12: the `weekly-report` job at "Monday 09:00": files written atomically, the JSON posted
/// to a real local webhook, retried with backoff, a webhook that always fails makes the run failed.
@Suite struct WeeklyReportJobTests {
    static let mondayNine = WeeklyReportTests.time("2026-11-30T09:00:00Z")

    /// An incoming webhook on 127.0.0.1:0 (Hummingbird): answers 500 to the first `failures` POSTs,
    /// then 200; keeps the bodies it received.
    final class WebhookServer: Sendable {
        private let state: Mutex<(failures: Int, bodies: [String], paths: [String])>

        init(failures: Int) { state = Mutex((failures, [], [])) }

        var bodies: [String] { state.withLock { $0.bodies } }
        var paths: [String] { state.withLock { $0.paths } }

        private func answer(_ request: Request) async throws -> Response {
            let body = try await request.body.collect(upTo: 1 << 20)
            let failing = state.withLock { state in
                state.bodies.append(String(buffer: body))
                state.paths.append(request.uri.path)
                state.failures -= 1
                return state.failures >= 0
            }
            return Response(status: failing ? .internalServerError : .ok)
        }

        /// Runs the server while `body` runs with its port (HummingbirdTesting's live mode: a real
        /// listener on 127.0.0.1 and a free port).
        func run(_ body: @Sendable @escaping (Int) async throws -> Void) async throws {
            let router = Router()
            router.post("hooks/:secret") { request, _ in try await self.answer(request) }
            try await Application(router: router, logger: testLogger).test(.live) { client in
                try await body(try #require(client.port))
            }
        }
    }

    static func reports(port: Int?, maxAttempts: Int = 5) -> ReportsConfiguration {
        var reports = ReportsConfiguration()
        reports.directory = FileManager.default.temporaryDirectory.appendingPathComponent("weekly-\(UUID().uuidString)").path
        reports.webhookURL = port.map { Secret("http://127.0.0.1:\($0)/hooks/T0P-SECRET-PATH?token=s3cret") }
        reports.maxAttempts = maxAttempts
        reports.retryDelay = .milliseconds(20)
        reports.timeout = .seconds(5)
        return reports
    }

    static func runner(_ url: String, reports: ReportsConfiguration) -> JobRunner {
        JobRunner(jobs: JobsConfiguration(), retention: RetentionConfiguration(), reports: reports, databaseURL: Secret(url), metrics: nil,
                  logger: testLogger, instance: "tests")
    }

    @Test func isDueMondayAtNineAndReportsTheLastCompleteWeek() {
        let plan = JobPlan(configuration: JobsConfiguration(), now: Self.mondayNine.addingTimeInterval(-60))
        #expect(plan.next(.weeklyReport) == Self.mondayNine)
        #expect(plan.due(at: Self.mondayNine).contains { $0.job == .weeklyReport })
        #expect(ISOWeek.lastComplete(before: Self.mondayNine).description == "2026-W48")
    }

    /// The scheduler with a clock the test sets: nothing at Monday 08:59, the report at 09:00,
    /// written and posted, recorded for the 09:00 slot.
    @Test func theSchedulerRunsTheReportOnMondayAtNine() async throws {
        let (url, connection) = try await WeeklyReportTests.seeded()
        defer { Task { await connection.close() } }
        let server = WebhookServer(failures: 0)
        try await server.run { port in
            let stepped = SteppedJobClock(Self.mondayNine.addingTimeInterval(-60))
            var jobs = JobsConfiguration()
            for job in Job.allCases where job != .weeklyReport { jobs[job].enabled = false }
            let reports = Self.reports(port: port)
            let runner = JobRunner(jobs: jobs, retention: RetentionConfiguration(), reports: reports, databaseURL: Secret(url), metrics: nil,
                                   logger: testLogger, instance: "tests")
            let scheduler = JobScheduler(runner: runner, configuration: jobs, clock: stepped.clock, logger: testLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scheduler.run() }
                #expect(try await stepped.waitUntilTheSchedulerSleeps(), "the scheduler never went to sleep after planning")
                #expect(try await connection.execute("SELECT count(*) FROM job_runs").first?.first == "0" && server.bodies.isEmpty)
                stepped.set(Self.mondayNine)
                var recorded: [[String?]] = []
                for _ in 0..<600 where recorded.isEmpty {
                    try await Task.sleep(for: .milliseconds(50))
                    recorded = try await connection.execute(
                        "SELECT job, outcome, scheduled_for = '2026-11-30T09:00:00Z', figures->>'total' FROM job_runs")
                }
                #expect(recorded == [["weekly-report", "ok", "t", "7"]])
                group.cancelAll()
            }
            #expect(server.bodies.count == 1 && server.bodies.first?.contains(#""week":"2026-W48""#) == true)
            #expect(FileManager.default.fileExists(atPath: reports.directory + "/weekly-2026-W48.html"))
            try? FileManager.default.removeItem(atPath: reports.directory)
        }
    }

    @Test func writesTheFilesAndPostsAfterFailures() async throws {
        let (url, connection) = try await WeeklyReportTests.seeded()
        defer { Task { await connection.close() } }
        let server = WebhookServer(failures: 2)
        try await server.run { port in
            let reports = Self.reports(port: port)
            let result = await Self.runner(url, reports: reports).run(.weeklyReport, scheduledFor: Self.mondayNine, now: { Self.mondayNine })
            guard case .ran(let run, let report) = result else { Issue.record("not run: \(result)"); return }
            #expect(run.outcome == .ok, "\(run.error ?? "")")
            #expect(report?["webhook_attempts"] == 3 && report?["total"] == 7 && report?["files"] == 3)
            #expect(report?.summary.contains("http://127.0.0.1:\(port)") == true && report?.summary.contains("T0P-SECRET") == false)
            let expected = try await ActivityStore(connection: connection).weeklyReport(week: WeeklyReportTests.week, now: Self.mondayNine)
            let directory = URL(fileURLWithPath: reports.directory)
            #expect(try String(contentsOf: directory.appendingPathComponent("weekly-2026-W48.md"), encoding: .utf8) == expected.markdown)
            #expect(try String(contentsOf: directory.appendingPathComponent("weekly-2026-W48.html"), encoding: .utf8) == expected.html)
            #expect(try String(contentsOf: directory.appendingPathComponent("weekly-2026-W48.json"), encoding: .utf8) == expected.json + "\n")
            // Only the three files: no temporary file left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: reports.directory).sorted()
                    == ["weekly-2026-W48.html", "weekly-2026-W48.json", "weekly-2026-W48.md"])
            #expect(server.bodies.count == 3 && server.bodies.allSatisfy { $0 == expected.json })
            #expect(server.paths.allSatisfy { $0 == "/hooks/T0P-SECRET-PATH" })
            let recorded = try await connection.execute("SELECT outcome, figures->>'webhook_attempts' FROM job_runs WHERE job = 'weekly-report'")
            #expect(recorded == [["ok", "3"]])
            try? FileManager.default.removeItem(atPath: reports.directory)
        }
    }

    @Test func aWebhookThatAlwaysFailsMakesTheRunFailedAndKeepsTheFiles() async throws {
        let (url, connection) = try await WeeklyReportTests.seeded()
        defer { Task { await connection.close() } }
        let server = WebhookServer(failures: 1_000)
        try await server.run { port in
            let reports = Self.reports(port: port, maxAttempts: 3)
            let result = await Self.runner(url, reports: reports).run(.weeklyReport, scheduledFor: nil, now: { Self.mondayNine })
            guard case .ran(let run, _) = result else { Issue.record("not run: \(result)"); return }
            #expect(run.outcome == .failed)
            let error = run.error ?? ""
            #expect(error.contains("the webhook at http://127.0.0.1:\(port) failed 3 times, last: HTTP 500"), "\(error)")
            #expect(!error.contains("T0P-SECRET") && !error.contains("s3cret"))
            #expect(server.bodies.count == 3)
            #expect(FileManager.default.fileExists(atPath: reports.directory + "/weekly-2026-W48.json"))
            let recorded = try await connection.execute("SELECT outcome, error FROM job_runs WHERE job = 'weekly-report'")
            #expect(recorded.first?.first == "failed" && recorded.first?.last??.contains("failed 3 times") == true)
            try? FileManager.default.removeItem(atPath: reports.directory)
        }
    }

    @Test func withoutAWebhookOnlyWritesAndADryRunDoesNothing() async throws {
        let (url, connection) = try await WeeklyReportTests.seeded()
        defer { Task { await connection.close() } }
        let reports = Self.reports(port: nil)
        let runner = Self.runner(url, reports: reports)
        let dry = try await runner.dryRun(.weeklyReport, now: Self.mondayNine)
        #expect(dry.summary.contains("would write the report of 2026-W48 (7 activities)") && dry["total"] == 7)
        #expect(!FileManager.default.fileExists(atPath: reports.directory))
        guard case .ran(let run, let report) = await runner.run(.weeklyReport, scheduledFor: nil, now: { Self.mondayNine }) else {
            Issue.record("not run"); return
        }
        #expect(run.outcome == .ok && report?["webhook_attempts"] == 0 && report?["files"] == 3)
        try? FileManager.default.removeItem(atPath: reports.directory)
    }

    @Test func anUnwritableDirectoryFailsTheRunWithTheReason() async throws {
        let (url, connection) = try await WeeklyReportTests.seeded()
        defer { Task { await connection.close() } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-directory-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        var reports = ReportsConfiguration()
        reports.directory = file.path
        guard case .ran(let run, _) = await Self.runner(url, reports: reports).run(.weeklyReport, scheduledFor: nil, now: { Self.mondayNine }) else {
            Issue.record("not run"); return
        }
        #expect(run.outcome == .failed && run.error?.contains("cannot write the report to \(file.path)") == true, "\(run.error ?? "")")
        try? FileManager.default.removeItem(at: file)
    }

    @Test func reportsKeysDefaultsAndProblems() throws {
        let defaults = ReportsConfiguration()
        #expect(defaults.directory == "reports" && defaults.webhookURL == nil && defaults.timeout == .seconds(10))
        #expect(defaults.maxAttempts == 5 && defaults.retryDelay == .seconds(10))
        #expect(JobsConfiguration().weeklyReport.schedule == .weekly(weekday: 2, hour: 9, minute: 0))
        let set = try loadConfiguration("""
            reports:
              directory: /var/reports
              webhook_url: https://hooks.example.com/services/T0/B0/XYZ
              timeout: 3s
              max_attempts: 2
              retry_delay: 1s
            jobs:
              weekly_report: {schedule: "friday 17:30", time_zone: Europe/Berlin}
            """)
        #expect(set.reports.directory == "/var/reports" && set.reports.webhookURL?.value == "https://hooks.example.com/services/T0/B0/XYZ")
        #expect(set.reports.timeout == .seconds(3) && set.reports.maxAttempts == 2 && set.reports.retryDelay == .seconds(1))
        #expect(set.jobs.weeklyReport.schedule == .weekly(weekday: 6, hour: 17, minute: 30))
        #expect(WebhookAddress("https://hooks.example.com/services/T0/B0/XYZ")?.redacted == "https://hooks.example.com")
        #expect(WebhookAddress("http://127.0.0.1:8080/x?y=1")?.redacted == "http://127.0.0.1:8080")
        for (yaml, key) in [
            ("reports:\n  webhook_url: ftp://example.com/x\n", "reports.webhook_url"),
            ("reports:\n  webhook_url: not a url\n", "reports.webhook_url"),
            ("reports:\n  max_attempts: 0\n", "reports.max_attempts"),
            ("reports:\n  max_attempts: 21\n", "reports.max_attempts"),
            ("reports:\n  timeout: 0s\n", "reports.timeout"),
            ("reports:\n  retry_delay: 2h\n", "reports.retry_delay"),
            ("reports:\n  directory: \"\"\n", "reports.directory"),
            ("reports:\n  webhook: https://example.com\n", "reports.webhook"),
            ("jobs:\n  weekly_report: {days: 3}\n", "jobs.weekly_report.days"),
        ] {
            #expect { try loadConfiguration(yaml) } throws: { "\($0)".contains(key) }
        }
    }

    /// A graceful shutdown during the backoff ends the wait at once, with a sentence saying so.
    @Test func gracefulShutdownEndsTheBackoff() async throws {
        final class Delivery: Service {
            let delivery: WebhookDelivery
            let outcome = Mutex<String?>(nil)
            init(delivery: WebhookDelivery) { self.delivery = delivery }
            func run() async throws {
                do {
                    try await delivery.post("{}")
                    outcome.withLock { $0 = "delivered" }
                } catch {
                    outcome.withLock { $0 = "\(error)" }
                }
            }
        }
        let server = WebhookServer(failures: 1_000)
        try await server.run { port in
            var reports = Self.reports(port: port, maxAttempts: 2)
            reports.retryDelay = .seconds(60)
            let service = Delivery(delivery: try WebhookDelivery(configuration: reports, url: try #require(reports.webhookURL), logger: testLogger))
            let group = ServiceGroup(services: [service], logger: testLogger)
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for _ in 0..<200 where server.bodies.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(ContinuousClock.now - started < .seconds(30))
            let outcome = service.outcome.withLock { $0 } ?? ""
            #expect(outcome.contains("failed 1 time, last: HTTP 500") && outcome.contains("the service stopped before attempt 2"), "\(outcome)")
            #expect(server.bodies.count == 1)
        }
    }
}
