@testable import Analytics
@testable import PostgreSQL
import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `system-health` and the dashboard show each job's schedule, last run and next run.
@Suite struct JobsHealthTests {
    @Test func systemHealthAndDashboardShowTheJobs() async throws {
        let (url, connection) = try await JobsTests.seeded()
        defer { Task { await connection.close() } }
        _ = await JobsTests.runner(url).run(.hourlyRollup, scheduledFor: nil, now: { referenceNow })
        let pool = ConnectionPool(url: Secret(url), logger: testLogger)
        var jobs = JobsConfiguration()
        jobs.dailyRollup.timeZone = "Europe/Berlin"
        let api = AnalyticsAPI(configuration: Tokens.configuration, pool: pool, jobs: jobs, retention: RetentionConfiguration(),
                               logger: testLogger, now: { referenceNow })
        let router = Router()
        addAnalyticsRoutes(to: router, api: api)
        try await Application(router: router, logger: testLogger).test(.live) { client in
            let response = try await get(client, "/api/v1/analytics/system-health/", token: Tokens.admin)
            let listed = try #require(response.json["jobs"] as? [[String: Any]])
            #expect(listed.compactMap { $0["job"] as? String } == Job.allCases.map(\.rawValue))
            let byName = Dictionary(uniqueKeysWithValues: listed.compactMap { item in (item["job"] as? String).map { ($0, item) } })
            let hourly = try #require(byName["hourly-rollup"])
            #expect(hourly["schedule"] as? String == "hourly :05" && hourly["next_run"] as? String == "2026-03-15T12:05:00Z")
            let last = try #require(hourly["last_run"] as? [String: Any])
            #expect(last["outcome"] as? String == "ok" && (last["figures"] as? [String: Any])?["hours_checked"] as? Int == 25)
            #expect(hourly["last_success"] as? String == "2026-03-15T12:00:00Z")
            // Off without retention.days, with the reason; never ran: null.
            let retention = try #require(byName["activity-retention"])
            #expect(retention["enabled"] as? Bool == false && (retention["off_reason"] as? String)?.contains("retention.days") == true)
            #expect(retention["next_run"] is NSNull && retention["last_run"] is NSNull)
            // 02:00 in Berlin (CET) is 01:00Z.
            #expect(byName["daily-rollup"]?["next_run"] as? String == "2026-03-16T01:00:00Z")

            let html = try await get(client, "/dashboard", token: Tokens.admin).text
            #expect(html.contains(#"<table id="job-runs">"#) && html.contains("hourly-rollup") && html.contains("off: retention.days"))
        }
        await pool.close()
    }
}
