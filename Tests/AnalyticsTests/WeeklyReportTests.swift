import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Analytics
@testable import PostgreSQL

/// Issue 12: the weekly stakeholder report over a seeded week (exact numbers), its formats, and
/// its agreement with the summary API over HTTP.
@Suite struct WeeklyReportTests {
    static let week = ISOWeek(containing: time("2026-11-25T12:00:00Z"))

    static func time(_ text: String) -> Date {
        (try? Date.ISO8601FormatStyle().parse(text)) ?? .distantPast
    }

    /// 2026-W48 (Monday 2026-11-23 to Monday 2026-11-30) and the week before, with a user seen in
    /// October (alice), one seen the week before (bob), two first seen in W48 (carol, dave), rows
    /// without a user, and a row at the exclusive end (Monday 2026-11-30 00:00, week 49).
    static let rows: [SeedRow] = [
        SeedRow(id: 1, at: time("2026-10-05T08:00:00Z"), user: "alice", type: "login"),
        SeedRow(id: 2, at: time("2026-11-17T10:00:00Z"), user: "alice", type: "report.view"),
        SeedRow(id: 3, at: time("2026-11-18T14:30:00Z"), user: "bob", type: "login"),
        SeedRow(id: 4, at: time("2026-11-18T15:00:00Z"), user: nil, type: "login"),
        SeedRow(id: 5, at: time("2026-11-23T09:15:00Z"), user: "alice", type: "report.view"),
        SeedRow(id: 6, at: time("2026-11-23T09:45:00Z"), user: "alice", type: "report.view"),
        SeedRow(id: 7, at: time("2026-11-24T14:10:00Z"), user: "alice", type: "report.download"),
        SeedRow(id: 8, at: time("2026-11-24T14:20:00Z"), user: "carol", type: "report.view"),
        SeedRow(id: 9, at: time("2026-11-25T09:30:00Z"), user: nil, type: "login"),
        SeedRow(id: 10, at: time("2026-11-27T14:05:00Z"), user: "dave", type: "login"),
        SeedRow(id: 11, at: time("2026-11-29T23:59:59Z"), user: "bob", type: "report.view"),
        SeedRow(id: 12, at: time("2026-11-30T00:00:00Z"), user: "eve", type: "login"),
    ]

    /// A fresh database with `rows` and three minutes of system metrics in W48.
    static func seeded() async throws -> (url: String, connection: PostgresConnection) {
        let url = try await TestDatabase.create(months: [(2026, 10), (2026, 11), (2026, 12)])
        let connection = try await TestDatabase.connect(url)
        try await SeedRow.insert(rows, into: connection)
        for values in [
            "'2026-11-24T10:00:00Z', 'a', 90, 0, 10, 0, 0, 20, 80, 200, 1, 0",
            "'2026-11-24T10:00:00Z', 'b', 100, 0, 0, 0, 0, 30, 90, 150, 0, 2",
            "'2026-11-25T10:00:00Z', 'a', 50, 50, 0, 3, 1, 40, 100, 300, 0, 0",
            // Week 49: outside the report.
            "'2026-11-30T00:00:00Z', 'a', 1000, 0, 1000, 0, 0, 1, 1, 1, 50, 50",
        ] {
            try await connection.execute("""
                INSERT INTO system_metrics (minute, instance_id, requests_2xx, requests_4xx, requests_5xx, upstream_errors, upstream_timeouts,
                                            latency_p50_ms, latency_p95_ms, latency_p99_ms, rows_dropped, rows_dead_lettered)
                VALUES (\(values))
                """)
        }
        return (url, connection)
    }

    @Test func reportOfASeededWeekHasExactFigures() async throws {
        let (_, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let report = try await ActivityStore(connection: connection).weeklyReport(week: Self.week, now: Self.time("2026-11-30T09:00:00Z"))
        #expect(report.week.description == "2026-W48")
        #expect(report.total == 7 && report.previousTotal == 3 && report.change == 133.33)
        typealias Line = WeeklyReport.Line
        #expect(report.types == [Line(label: "report.view", count: 4, previousCount: 1), Line(label: "login", count: 2, previousCount: 2),
                                 Line(label: "report.download", count: 1, previousCount: 0)])
        #expect(report.types.map(\.change) == [300, 0, nil])
        #expect(report.topUsers == [Line(label: "alice", count: 3, previousCount: 1), Line(label: "bob", count: 1, previousCount: 1),
                                    Line(label: "carol", count: 1, previousCount: 0), Line(label: "dave", count: 1, previousCount: 0)])
        #expect(report.days.map(\.label) == ["Mon 2026-11-23", "Tue 2026-11-24", "Wed 2026-11-25", "Thu 2026-11-26", "Fri 2026-11-27",
                                             "Sat 2026-11-28", "Sun 2026-11-29"])
        #expect(report.days.map(\.count) == [2, 2, 1, 0, 1, 0, 1] && report.days.map(\.previousCount) == [0, 1, 2, 0, 0, 0, 0])
        #expect(report.busiestDay?.label == "Mon 2026-11-23")
        #expect(report.busiestHours == [Line(label: "09:00", count: 3, previousCount: 0), Line(label: "14:00", count: 3, previousCount: 1),
                                        Line(label: "23:00", count: 1, previousCount: 0)])
        #expect(report.users == WeeklyReport.Users(active: 4, previousActive: 2, new: 2, returning: 2))
        let system = try #require(report.system)
        #expect(system.minutes == 3 && system.requests == 300 && system.serverErrors == 10 && system.errorRate == 3.33)
        #expect(system.upstreamErrors == 3 && system.upstreamTimeouts == 1)
        #expect(system.latencyP50 == 30 && system.latencyP95 == 90 && system.latencyP99Max == 300)
        #expect(system.rowsDropped == 1 && system.rowsDeadLettered == 2)
        #expect(report.previousSystem == nil)
    }

    @Test func aWeekWithoutMetricsOrRowsSaysSo() async throws {
        let (_, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        let report = try await ActivityStore(connection: connection).weeklyReport(week: try ISOWeek(parsing: "2026-W50"), now: Self.time("2026-12-14T09:00:00Z"))
        #expect(report.total == 0 && report.previousTotal == 1 && report.change == -100 && report.system == nil)
        #expect(report.users == WeeklyReport.Users(active: 0, previousActive: 1, new: 0, returning: 0))
        #expect(report.markdown.contains("No data: the sidecars recorded no system metrics this week."))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["system"] is NSNull && json["change_percentage"] as? Double == -100)
    }

    @Test func formatsSayTheSameAndEscapeTheData() async throws {
        let (_, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        var report = try await ActivityStore(connection: connection).weeklyReport(week: Self.week, now: Self.time("2026-11-30T09:00:00Z"))
        let markdown = report.markdown
        #expect(markdown.hasPrefix("# Weekly activity report 2026-W48\n"))
        #expect(markdown.contains("7 activities in 2026-W48 (2026-11-23 to 2026-11-29), against 3 the week before: +133.33 %."))
        #expect(markdown.contains("| report.view | 4 | 1 | +300.00 % |") && markdown.contains("| report.download | 1 | 0 | new |"))
        #expect(markdown.contains("4 active users (+100.00 % against 2): 2 new (first activity ever this week), 2 returning."))
        #expect(markdown.contains("| Error rate (5xx) | 3.33 % | no data |"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["week"] as? String == "2026-W48" && json["total"] as? Int == 7 && json["previous_total"] as? Int == 3)
        #expect(json["date_from"] as? String == "2026-11-23T00:00:00Z" && json["date_to"] as? String == "2026-11-30T00:00:00Z")
        let types = try #require(json["activity_types"] as? [[String: Any]])
        #expect(types.first?["activity_type"] as? String == "report.view" && types.last?["change_percentage"] is NSNull)
        let users = try #require(json["users"] as? [String: Any])
        #expect(users["new"] as? Int == 2 && users["returning"] as? Int == 2)
        let system = try #require(json["system"] as? [String: Any])
        #expect(system["error_rate_percentage"] as? Double == 3.33 && system["rows_dead_lettered"] as? Int == 2)

        // Data is hostile: a type with markup and table syntax.
        report.types[0].label = "<script>alert('x')</script>|\n**b**"
        let html = report.html
        #expect(html.contains("<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;|\n**b**</td>") && !html.contains("<script>"))
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<h1>Weekly activity report 2026-W48</h1>"))
        #expect(report.markdown.contains(#"| \<script\>alert('x')\</script\>\| \*\*b\*\* | 4 |"#))
    }

    /// The report's figures are the summary API's for date_from/date_to = the week, over HTTP.
    @Test func figuresAgreeWithTheSummaryAPI() async throws {
        let (url, connection) = try await Self.seeded()
        defer { Task { await connection.close() } }
        // The rollup path too: the daily rollup for the days, as the scheduler computes it.
        _ = try await ActivityStore(connection: connection).computeDailyRollup(days: 21, now: Self.time("2026-12-01T00:00:00Z"), dryRun: false)
        let report = try await ActivityStore(connection: connection).weeklyReport(week: Self.week, now: Self.time("2026-11-30T09:00:00Z"))
        let pool = ConnectionPool(url: Secret(url), logger: testLogger)
        let api = AnalyticsAPI(configuration: Tokens.configuration, pool: pool, jobs: JobsConfiguration(), retention: RetentionConfiguration(),
                               logger: testLogger, now: { Self.time("2026-11-30T09:00:00Z") })
        let router = Router()
        addAnalyticsRoutes(to: router, api: api)
        try await Application(router: router, logger: testLogger).test(.live) { client in
            let period = "date_from=2026-11-23T00:00:00Z&date_to=2026-11-30T00:00:00Z"
            func summary(_ query: String) async throws -> [String: Any] {
                let response = try await get(client, "/api/v1/analytics/activity-summary/?\(period)&\(query)", token: Tokens.admin)
                #expect(response.status == .ok, "\(response.text)")
                return response.json
            }
            func lines(_ json: [String: Any], key: String) -> [WeeklyReport.Line] {
                results(json).map { .init(label: $0[key] as? String ?? "(no user)", count: $0["count"] as? Int ?? -1, previousCount: $0["previous_count"] as? Int ?? -1) }
            }
            let byType = try await summary("group_by=activity_type&top=\(WeeklyReport.typeLines)")
            #expect(byType["total"] as? Int == report.total && (byType["previous_period"] as? [String: Any])?["total"] as? Int == report.previousTotal)
            #expect(lines(byType, key: "activity_type") == report.types)
            let byUser = try await summary("group_by=user")
            let users = lines(byUser, key: "user").filter { $0.label != "(no user)" && $0.count > 0 }
            #expect(Array(users.prefix(WeeklyReport.userLines)) == report.topUsers && users.count == report.users.active)
            let byDay = try await summary("group_by=day")
            #expect(lines(byDay, key: "date").map(\.count) == report.days.map(\.count))
            #expect(lines(byDay, key: "date").map(\.previousCount) == report.days.map(\.previousCount))
            let byHour = try await summary("group_by=hour")
            var perHour: [String: Int] = [:]
            for line in lines(byHour, key: "hour") { perHour[String(line.label.dropFirst(11).prefix(5)), default: 0] += line.count }
            for line in report.busiestHours { #expect(perHour[line.label] == line.count, "\(line.label)") }
        }
        await pool.close()
    }
}
