@testable import Analytics
@testable import PostgreSQL
import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `system-health` reads the sidecars' last hour from `system_metrics`; `rules coverage` reads
/// `activity.rule_id` and `system_metrics_exceptions`.
@Suite struct SystemMetricsHealthTests {
    /// Minutes relative to `referenceNow`, two instances, one minute outside the hour.
    static func seedSystemMetrics(_ connection: PostgresConnection) async throws {
        let rows: [(minutesAgo: Int, instance: String, r2: Int, r4: Int, r5: Int, errors: Int, timeouts: Int, p50: Double, p95: Double, p99: Double, excluded: Int)] = [
            (5, "a", 90, 5, 3, 1, 1, 12, 80, 150, 4),
            (5, "b", 100, 0, 1, 0, 0, 10, 60, 300, 0),
            (30, "a", 0, 0, 0, 0, 0, 20, 40, 60, 2),
            (90, "a", 1_000, 0, 1_000, 50, 0, 999, 999, 999, 100),  // older than the hour
        ]
        for row in rows {
            let minute = SQLTime.text(referenceNow.addingTimeInterval(Double(-row.minutesAgo * 60)))
            try await connection.execute("""
                INSERT INTO system_metrics (minute, instance_id, requests_2xx, requests_4xx, requests_5xx, upstream_errors, upstream_timeouts,
                    latency_p50_ms, latency_p95_ms, latency_p99_ms, requests_excluded)
                VALUES (date_trunc('minute', $1::timestamptz), $2, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint,
                    $8::double precision, $9::double precision, $10::double precision, $11::bigint)
                """, parameters: [minute, row.instance, String(row.r2), String(row.r4), String(row.r5), String(row.errors), String(row.timeouts),
                                  String(row.p50), String(row.p95), String(row.p99), String(row.excluded)])
            if row.excluded > 0 {
                try await connection.execute("""
                    INSERT INTO system_metrics_exceptions (minute, instance_id, exception_id, requests)
                    VALUES (date_trunc('minute', $1::timestamptz), $2, 'health-checks', $3::bigint)
                    """, parameters: [minute, row.instance, String(row.excluded)])
            }
        }
    }

    @Test func systemHealthReportsTheLastHourAcrossInstances() async throws {
        let url = try await TestDatabase.create(months: [(2026, 3)])
        let connection = try await TestDatabase.connect(url)
        try await Self.seedSystemMetrics(connection)
        await connection.close()
        let pool = ConnectionPool(url: Secret(url), logger: testLogger)
        let api = AnalyticsAPI(
            configuration: Tokens.configuration, pool: pool, runtimeFigures: { RuntimeFigures(uptimeSeconds: 1) },
            logger: testLogger, now: { referenceNow })
        let router = Router()
        addAnalyticsRoutes(to: router, api: api)
        try await Application(router: router, logger: testLogger).test(.live) { client in
            let response = try await get(client, "/api/v1/analytics/system-health/", token: Tokens.admin)
            #expect(response.status == .ok)
            // 199 requests in the hour; 4 answered 5xx, 1 upstream error, 1 timeout: 6 / 199.
            let rate = try #require(response.json["error_rate"] as? Double)
            #expect(abs(rate - 6.0 / 199.0) < 1e-9)
            let traffic = try #require(response.json["traffic"] as? [String: Any])
            #expect(traffic["requests"] as? Int == 199)
            #expect(traffic["requests_5xx"] as? Int == 4)
            #expect(traffic["upstream_errors"] as? Int == 1 && traffic["upstream_timeouts"] as? Int == 1)
            #expect(traffic["requests_excluded"] as? Int == 6)
            #expect(traffic["latency_p50_ms"] as? Double == 20, "the largest per-minute value")
            #expect(traffic["latency_p95_ms"] as? Double == 80)
            #expect(traffic["latency_p99_ms"] as? Double == 300)
            let database = try #require(response.json["database"] as? [String: Any])
            let tables = try #require(database["tables"] as? [[String: Any]])
            let names = tables.compactMap { $0["table"] as? String }
            #expect(names.contains("system_metrics") && names.contains("activity") && names.contains("system_metrics_exceptions"))
            #expect(!names.contains { $0.hasPrefix("activity_2026") }, "partitions are summed into their parent")
            #expect(tables.allSatisfy { ($0["size_bytes"] as? Int ?? -1) >= 0 })

            // The dashboard shows the traffic per hour to admins, next to the activity.
            let page = try await get(client, "/dashboard?from=1d", token: Tokens.admin, basic: true)
            #expect(page.status == .ok)
            #expect(page.text.contains(#"id="traffic-chart""#))
            #expect(page.text.components(separatedBy: #"class="traffic-bar""#).count - 1 == 2, "two hours with rows")
            #expect(page.text.contains(#"class="failed-bar""#))
            #expect(page.text.contains("2199 requests"), "199 in the last hour and 2000 in the hour before")
            #expect(!page.text.contains("<script"))
            let analyst = try await get(client, "/dashboard?from=1d", token: Tokens.alice, basic: true)
            #expect(analyst.status == .ok && !analyst.text.contains(#"id="traffic""#))
        }
        await pool.close()
    }

    @Test func ruleCoverageCountsActivitiesAndExclusions() async throws {
        let url = try await TestDatabase.create(months: [(2026, 2), (2026, 3)])
        let connection = try await TestDatabase.connect(url)
        try await Self.seedSystemMetrics(connection)
        let rows: [(rule: String, hoursAgo: Double)] = [
            ("report-generate", 1), ("report-generate", 5), ("report-generate", 24 * 20), ("removed-rule", 2), ("report-share", 24 * 40),
        ]
        for (index, row) in rows.enumerated() {
            try await connection.execute("""
                INSERT INTO activity (id, occurred_at, activity_type, rule_id)
                VALUES ($1::uuid, $2::timestamptz, 'x', $3)
                """, parameters: [String(format: "00000000-0000-7000-8000-%012d", index), SQLTime.text(hoursAgo(row.hoursAgo)), row.rule])
        }
        let store = ActivityStore(connection: connection)
        let figures = try await store.ruleCoverageFigures(since: referenceNow.addingTimeInterval(-30 * 86_400), until: referenceNow)
        await connection.close()
        let coverage = RuleCoverage(ruleIDs: ["report-generate", "report-share", "catch-all"], exceptionIDs: ["health-checks", "static-files"], figures: figures)
        #expect(coverage.rules.map(\.ruleID) == ["report-generate", "report-share", "catch-all"])
        #expect(coverage.rules.map(\.activities) == [3, 0, 0])
        #expect(coverage.rules[0].lastFired.map { abs($0.timeIntervalSince(hoursAgo(1))) < 0.001 } == true)
        #expect(coverage.neverFired == ["report-share", "catch-all"], "a row older than the period does not count")
        #expect(coverage.exceptions.map(\.requestsExcluded) == [106, 0], "every minute in the period, the 90-minute-old one too")
        #expect(coverage.unknownRules.map(\.ruleID) == ["removed-rule"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(coverage.json.utf8)) as? [String: Any])
        #expect(json["never_fired"] as? [String] == ["report-share", "catch-all"])
        #expect((json["unknown_rules"] as? [[String: Any]])?.first?["activities"] as? Int == 1)
        #expect((json["exceptions"] as? [[String: Any]])?.first?["requests_excluded"] as? Int == 106)
        #expect((json["rules"] as? [[String: Any]])?.last?["last_fired"] is NSNull)
    }
}
