@testable import ProxyCore
@testable import DeploymentConfiguration
import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

enum Tokens {
    static let admin = "admin-token-0123456789"
    static let alice = "alice-token-0123456789"
    static let bob = "bob-token-0123456789ab"
    static let configuration = AnalyticsConfiguration(tokens: [
        .init(token: Secret(admin), role: .admin),
        .init(token: Secret(alice), role: .user, userID: "alice"),
        .init(token: Secret(bob), role: .user, userID: "bob"),
    ])
}

/// Runs `body` against the analytics routes on the seeded database, with the clock at `referenceNow`.
func withAnalyticsApp(
    configuration: AnalyticsConfiguration = Tokens.configuration, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
) async throws {
    let pool = ConnectionPool(url: Secret(try await SeededDatabase.shared.get()), logger: testLogger)
    let api = AnalyticsAPI(
        configuration: configuration, pool: pool,
        runtimeFigures: { RuntimeFigures(uptimeSeconds: 61) },
        logger: testLogger, now: { referenceNow })
    let router = Router()
    addAnalyticsRoutes(to: router, api: api)
    let app = Application(router: router, logger: testLogger)
    // Real HTTP on a real port (`.live`), as analysts and the dashboard reach it.
    try await app.test(.live, body)
    await pool.close()
}

func get(_ client: any TestClientProtocol, _ uri: String, token: String? = nil, basic: Bool = false) async throws -> (status: HTTPResponse.Status, json: [String: Any], text: String, headers: HTTPFields) {
    var headers = HTTPFields()
    if let token {
        headers[.authorization] = basic ? "Basic " + Data("analyst:\(token)".utf8).base64EncodedString() : "Bearer \(token)"
    }
    return try await client.execute(uri: uri, method: .get, headers: headers) { response in
        let text = String(buffer: response.body)
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (response.status, json, text, response.headers)
    }
}

func results(_ json: [String: Any]) -> [[String: Any]] { json["results"] as? [[String: Any]] ?? [] }

@Suite struct AnalyticsAuthTests {
    @Test(arguments: [
        "/api/v1/analytics/user-activity/", "/api/v1/analytics/activity-summary/", "/api/v1/analytics/system-health/",
    ])
    func missingOrUnknownTokenIs401(path: String) async throws {
        try await withAnalyticsApp { client in
            for token in [nil, "not-a-configured-token", ""] as [String?] {
                let response = try await get(client, path, token: token)
                #expect(response.status == .unauthorized)
                #expect(response.json["field"] as? String == "Authorization")
                #expect((response.json["reason"] as? String)?.contains("Bearer") == true)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test func userTokenSeesOnlyItsRows() async throws {
        try await withAnalyticsApp { client in
            for query in ["", "?activity_type=login", "?ip_address=192.0.2.0/24", "?date_from=30d", "?limit=100&offset=0", "?user_id=alice"] {
                let response = try await get(client, "/api/v1/analytics/user-activity/" + query, token: Tokens.alice)
                #expect(response.status == .ok)
                #expect(results(response.json).allSatisfy { $0["user"] as? String == "alice" }, "\(query)")
            }
            let all = try await get(client, "/api/v1/analytics/user-activity/", token: Tokens.alice)
            #expect(all.json["count"] as? Int == 5)
            let bob = try await get(client, "/api/v1/analytics/user-activity/", token: Tokens.bob)
            #expect(results(bob.json).map { $0["user"] as? String } == ["bob", "bob", "bob"])
        }
    }

    @Test func userTokenAskingForAnotherUserIs403() async throws {
        try await withAnalyticsApp { client in
            for path in ["/api/v1/analytics/user-activity/?user_id=bob", "/api/v1/analytics/activity-summary/?user_id=bob", "/api/v1/analytics/system-health/"] {
                let response = try await get(client, path, token: Tokens.alice)
                #expect(response.status == .forbidden, "\(path)")
                #expect(response.json["detail"] is String && response.json["reason"] is String)
                #expect(!response.text.contains("did something"))
            }
        }
    }

    @Test func userTokenSummaryCoversOnlyItsRows() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/api/v1/analytics/activity-summary/?group_by=user&date_from=60d", token: Tokens.alice)
            #expect(results(response.json).map { $0["user"] as? String } == ["alice"])
            #expect(response.json["total"] as? Int == 5)
        }
    }
}

@Suite struct AnalyticsEndpointTests {
    @Test func userActivityShape() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/api/v1/analytics/user-activity/?user_id=alice&activity_type=report.download", token: Tokens.admin)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(Set(response.json.keys) == ["count", "next", "previous", "results"])
            #expect(response.json["next"] is NSNull && response.json["previous"] is NSNull)
            let row = try #require(results(response.json).first)
            #expect(Set(row.keys) == ["id", "user", "activity_type", "description", "ip_address", "user_agent", "metadata", "timestamp"])
            #expect(row["timestamp"] as? String == "2026-03-15T10:00:00.000000Z")
            #expect((row["metadata"] as? [String: Any])?["report"] as? String == "Q1")
            #expect(row["description"] as? String == "Downloaded \"Q1, final\"\nreport")
        }
    }

    @Test func paginationLinks() async throws {
        try await withAnalyticsApp { client in
            let middle = try await get(client, "/api/v1/analytics/user-activity/?limit=3&offset=3&activity_type=report.view,login", token: Tokens.admin)
            #expect(middle.json["count"] as? Int == 9)
            let next = try #require(middle.json["next"] as? String)
            let previous = try #require(middle.json["previous"] as? String)
            #expect(next.contains("offset=6") && next.contains("limit=3") && next.contains("activity_type=report.view%2Clogin"))
            #expect(previous.contains("limit=3") && !previous.contains("offset="))
            let last = try await get(client, "/api/v1/analytics/user-activity/?limit=3&offset=6&activity_type=report.view,login", token: Tokens.admin)
            #expect(last.json["next"] is NSNull && results(last.json).count == 3)
            let beyond = try await get(client, "/api/v1/analytics/user-activity/?offset=500", token: Tokens.admin)
            #expect(results(beyond.json).isEmpty && beyond.json["count"] as? Int == 11)
        }
    }

    @Test(arguments: [
        ("/api/v1/analytics/user-activity/?limit=101", "limit"),
        ("/api/v1/analytics/user-activity/?limit=0", "limit"),
        ("/api/v1/analytics/user-activity/?limit=ten", "limit"),
        ("/api/v1/analytics/user-activity/?offset=-1", "offset"),
        ("/api/v1/analytics/user-activity/?date_from=yesterday", "date_from"),
        ("/api/v1/analytics/user-activity/?date_to=2026-02-30", "date_to"),
        ("/api/v1/analytics/user-activity/?date_from=1d&date_to=2d", "date_to"),
        ("/api/v1/analytics/user-activity/?ip_address=300.1.1.1", "ip_address"),
        ("/api/v1/analytics/activity-summary/?group_by=week", "group_by"),
        ("/api/v1/analytics/activity-summary/?group_by=hour&date_from=2000-01-01", "date_from"),
        ("/api/v1/analytics/activity-summary/?top=0", "top"),
    ])
    func badParametersAre400(uri: String, field: String) async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, uri, token: Tokens.admin)
            #expect(response.status == .badRequest)
            #expect(response.json["field"] as? String == field)
            #expect((response.json["reason"] as? String)?.isEmpty == false)
        }
    }

    @Test func summaryByType() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/api/v1/analytics/activity-summary/?group_by=activity_type&date_from=7d", token: Tokens.admin)
            #expect(response.status == .ok)
            #expect(response.json["total"] as? Int == 7)
            #expect((response.json["previous_period"] as? [String: Any])?["total"] as? Int == 3)
            let groups = results(response.json)
            #expect(groups.map { $0["activity_type"] as? String } == ["report.view", "login", "report.download"])
            let sum = groups.compactMap { $0["percentage"] as? Double }.reduce(0, +)
            #expect(abs(sum - 100) < 0.000_1)
            #expect(groups.map { $0["previous_count"] as? Int } == [1, 1, 1])
        }
    }

    @Test func summaryByDay() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/api/v1/analytics/activity-summary/?group_by=day", token: Tokens.admin)
            #expect(results(response.json).map { $0["date"] as? String }.last == "2026-03-15")
            #expect(results(response.json).count == 8)
        }
    }

    @Test func systemHealth() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/api/v1/analytics/system-health/", token: Tokens.admin)
            #expect(response.status == .ok)
            #expect(response.json["status"] as? String == "ok")
            #expect(response.json["rows_today"] as? Int == 4)
            #expect(response.json["active_users_today"] as? Int == 2)
            #expect(response.json["active_users_this_week"] as? Int == 3)
            // No sidecar wrote system_metrics: no request, no error rate.
            #expect(response.json["error_rate"] is NSNull)
            #expect(response.json["traffic"] as? [String: Any] != nil)
            #expect(response.json["uptime_seconds"] as? Int == 61)
            let database = try #require(response.json["database"] as? [String: Any])
            #expect(database["reachable"] as? Bool == true && (database["size_bytes"] as? Int ?? 0) > 0)
            // No sidecar heard from: the totals over live instances are zero.
            #expect((response.json["ingest"] as? [String: Any])?["queue_depth"] as? Int == 0)
            #expect((response.json["ingest"] as? [String: Any])?["live_instances"] as? Int == 0)
            #expect((response.json["instances"] as? [Any])?.isEmpty == true, "no sidecar wrote to the seeded database")
        }
    }
}

@Suite struct DashboardTests {
    @Test func rendersChartTopListsAndTable() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/dashboard?from=14d", token: Tokens.admin, basic: true)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let html = response.text
            #expect(html.contains(#"<svg id="activity-chart""#) && html.contains(#"<rect class="bar""#))
            #expect(html.contains(#"id="top-types""#) && html.contains(#"id="top-users""#) && html.contains(#"id="recent-activity""#))
            #expect(html.contains("Downloaded &quot;Q1, final&quot;"))
            #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src="))
            #expect(html.contains("57.14%") || html.contains("%"))
        }
    }

    @Test func asksBrowsersForTheToken() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/dashboard")
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
        }
    }

    @Test func userDashboardShowsOnlyItsRows() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/dashboard?from=60d", token: Tokens.alice, basic: true)
            #expect(response.status == .ok)
            #expect(!response.text.contains("<td>bob</td>") && !response.text.contains("<td>carol</td>"))
            #expect(response.text.contains("<td>alice</td>"))
            let other = try await get(client, "/dashboard?user=bob", token: Tokens.alice, basic: true)
            #expect(other.status == .forbidden)
        }
    }

    @Test func filtersLiveInTheURL() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/dashboard?from=60d&type=login&limit=1", token: Tokens.admin, basic: true)
            #expect(response.text.contains(#"name="type" value="login""#))
            #expect(response.text.contains(#"id="next-page" href="/dashboard?"#) && response.text.contains("offset=1"))
            let bad = try await get(client, "/dashboard?from=soon", token: Tokens.admin, basic: true)
            #expect(bad.status == .badRequest && bad.text.contains("from"))
        }
    }
}

@Suite struct AnalyticsConfigurationTests {
    @Test func decodesAndReencodesEveryKey() throws {
        let json = #"{"tokens": [{"token": "0123456789abcdef", "role": "admin"}, {"token": "fedcba9876543210", "role": "user", "user_id": "alice"}]}"#
        let configuration = try JSONDecoder().decode(AnalyticsConfiguration.self, from: Data(json.utf8))
        #expect(configuration.tokens.map(\.role) == [.admin, .user])
        #expect(configuration.problems().isEmpty)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration)) as? [String: Any]
        let tokens = try #require(encoded?["tokens"] as? [[String: Any]])
        #expect(tokens.allSatisfy { Set($0.keys) == ["token", "role", "user_id", "rate_limit"] })
        #expect(encoded?["rate_limit"] as? [String: Double] == ["requests_per_second": 10, "burst": 50])
        #expect(tokens.allSatisfy { $0["token"] as? String == Secret.redacted })
        #expect(try JSONDecoder().decode(AnalyticsConfiguration.self, from: Data("{}".utf8)).tokens.isEmpty)
    }

    @Test func reportsProblemsWithKeyPaths() {
        let configuration = AnalyticsConfiguration(tokens: [
            .init(token: Secret("short"), role: .admin),
            .init(token: Secret("0123456789abcdef"), role: .user),
            .init(token: Secret("0123456789abcdef"), role: .admin, userID: "alice"),
        ])
        let problems = configuration.problems().under("analytics").map(\.description)
        #expect(problems.contains { $0.hasPrefix("analytics.tokens[0].token:") })
        #expect(problems.contains { $0.hasPrefix("analytics.tokens[1].user_id:") })
        #expect(problems.contains { $0.hasPrefix("analytics.tokens[2].token:") })
        #expect(problems.contains { $0.hasPrefix("analytics.tokens[2].user_id:") })
    }

    @Test func rejectsUnknownRole() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AnalyticsConfiguration.self, from: Data(#"{"tokens": [{"token": "0123456789abcdef", "role": "root"}]}"#.utf8))
        }
    }
}
