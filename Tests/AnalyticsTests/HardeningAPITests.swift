import Foundation
import Testing

/// Issue 9: every analytics parameter and time bound is bounded where it enters. Out of range is
/// a 400 naming the parameter and its allowed range, never a trap (which would take the proxy,
/// and the app behind it, down) and never a 503 from a value PostgreSQL refuses. Real HTTP,
/// real PostgreSQL.
@Suite struct HardeningAPITests {
    static let activity = "/api/v1/analytics/user-activity/"
    static let summary = "/api/v1/analytics/activity-summary/"

    /// (query, field, words the reason must contain)
    @Test(arguments: [
        // The issue's request: a user token and Int.max trapped on `offset + limit`.
        ("offset=9223372036854775807", "offset", "0 to 1000000"),
        ("offset=-9223372036854775808", "offset", "0 to 1000000"),
        ("offset=99999999999999999999999999", "offset", "out of range"),
        ("offset=1000001", "offset", "0 to 1000000"),
        ("offset=-1", "offset", "0 to 1000000"),
        ("offset=%2B5", "offset", "not a whole number"),
        ("offset=%205", "offset", "not a whole number"),
        ("offset=5%20", "offset", "not a whole number"),
        ("offset=%D9%A5", "offset", "not a whole number"),  // ARABIC-INDIC DIGIT FIVE
        ("offset=0x10", "offset", "not a whole number"),
        ("limit=9223372036854775807", "limit", "1 to 100"),
        ("limit=-9223372036854775808", "limit", "1 to 100"),
        ("limit=101", "limit", "1 to 100"),
        ("limit=%EF%BC%95", "limit", "not a whole number"),  // FULLWIDTH DIGIT FIVE
        ("date_from=99999999999d", "date_from", "36500d"),
        ("date_from=9223372036854775807m", "date_from", "36500d"),
        ("date_from=36501d", "date_from", "36500d"),
        ("date_from=%2B7d", "date_from", "is not a time"),
        ("date_from=0000-01-01", "date_from", "time"),
        ("date_from=1969-12-31", "date_from", "1970 to 9999"),
        ("date_from=10000-01-01", "date_from", "is not a time"),
        ("date_from=%2B999-01-01", "date_from", "is not a time"),
        ("date_from=1969-12-31T23:00:00Z", "date_from", "1970 to 9999"),
        ("date_from=1970-01-01T00:00:00%2B01:00", "date_from", "1970 to 9999"),
        ("date_from=2026-01-01T00:00:00%2B99:00", "date_from", "is not a time"),
        ("date_from=2026-01-01T00:00:00.1234567890Z", "date_from", "is not a time"),
        ("date_from=%D9%A2026-01-01", "date_from", "is not a time"),
        ("ip_address=192.0.2.0/%2B24", "ip_address", "not an IP address"),
        ("ip_address=192.0.2.0/%2024", "ip_address", "not an IP address"),
        ("ip_address=192.0.2.0/-0", "ip_address", "not an IP address"),
        ("ip_address=192.0.2.0/99999999999999999999", "ip_address", "not an IP address"),
        ("user_id=alice%00bob", "user_id", "NUL"),
    ])
    func outOfRangeIs400(query: String, field: String, words: String) async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, Self.activity + "?" + query, token: Tokens.admin)
            #expect(response.status == .badRequest, "\(query): \(response.text)")
            #expect(response.json["field"] as? String == field, "\(query)")
            #expect((response.json["reason"] as? String)?.contains(words) == true, "\(query): \(response.text)")
        }
    }

    @Test func theIssuesRequestWithAUserToken() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, Self.activity + "?offset=9223372036854775807", token: Tokens.alice)
            #expect(response.status == .badRequest)
            #expect(response.json["field"] as? String == "offset")
            // The process is still up and answers the next request.
            #expect(try await get(client, Self.activity, token: Tokens.alice).status == .ok)
        }
    }

    /// The edges themselves are allowed.
    @Test(arguments: [
        "offset=1000000", "offset=0", "limit=1", "limit=100", "limit=007", "date_from=36500d", "date_from=0m",
        "date_from=1970-01-01", "date_to=9999-12-31", "date_from=9999-12-30&date_to=9999-12-31",
        "date_from=2026-03-15T11:00:00%2B14:00", "ip_address=192.0.2.0/0", "ip_address=192.0.2.0/32", "ip_address=2001:db8::/128",
        "activity_type=" + Array(repeating: "t", count: 100).joined(separator: ","),
    ])
    func edgesAreAllowed(query: String) async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, Self.activity + "?" + query, token: Tokens.admin)
            #expect(response.status == .ok, "\(query): \(response.text)")
        }
    }

    @Test func tooManyTypesAndLongValues() async throws {
        try await withAnalyticsApp { client in
            let types = try await get(client, Self.activity + "?activity_type=" + Array(repeating: "t", count: 5_000).joined(separator: ","), token: Tokens.admin)
            #expect(types.status == .badRequest && types.json["field"] as? String == "activity_type")
            #expect((types.json["reason"] as? String)?.contains("at most 100") == true)
            let user = try await get(client, Self.activity + "?user_id=" + String(repeating: "u", count: 1_025), token: Tokens.admin)
            #expect(user.status == .badRequest && user.json["field"] as? String == "user_id")
            // A long value is quoted shortened: the answer never echoes the whole request.
            let time = try await get(client, Self.activity + "?date_from=" + String(repeating: "9", count: 20_000), token: Tokens.admin)
            #expect(time.status == .badRequest && time.json["field"] as? String == "date_from")
            #expect(time.text.utf8.count < 600, "\(time.text.utf8.count) bytes")
        }
    }

    @Test(arguments: [
        ("top=9223372036854775807", "top", "1 to 1000"),
        ("top=1001", "top", "1 to 1000"),
        ("top=0", "top", "1 to 1000"),
        ("top=-1", "top", "1 to 1000"),
        ("top=%2B3", "top", "not a whole number"),
        ("top=99999999999999999999", "top", "out of range"),
        // 8,029 years: its previous period would start before the year 1; PostgreSQL refused it (503).
        ("date_from=1970-01-01&date_to=9999-12-31", "date_from", "36500 days"),
        ("date_from=2026-03-16", "date_from", "earlier than the end"),
        ("group_by=day&date_from=1970-01-01", "date_from", "10000 groups"),
        ("group_by=hour&date_from=2025-01-01", "date_from", "10000 groups"),
        ("group_by=" + String(repeating: "x", count: 5_000), "group_by", "type, user, day, hour"),
    ])
    func summaryOutOfRangeIs400(query: String, field: String, words: String) async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, Self.summary + "?" + query, token: Tokens.alice)
            #expect(response.status == .badRequest, "\(query): \(response.text)")
            #expect(response.json["field"] as? String == field, "\(query)")
            #expect((response.json["reason"] as? String)?.contains(words) == true, "\(query): \(response.text)")
            #expect(response.text.utf8.count < 600)
        }
    }

    @Test(arguments: [
        "top=1000", "top=1", "date_from=1970-01-01", "date_from=36500d", "group_by=day&date_from=9999-12-01&date_to=9999-12-31",
        "group_by=hour&date_from=9999-12-31&date_to=9999-12-31", "group_by=day&date_from=2000-01-01", "date_to=9999-12-31",
    ])
    func summaryEdgesAreAllowed(query: String) async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, Self.summary + "?" + query, token: Tokens.admin)
            #expect(response.status == .ok, "\(query): \(response.text)")
        }
    }

    @Test(arguments: [
        ("offset=9223372036854775807", "offset"), ("limit=9223372036854775807", "limit"), ("offset=-1", "offset"),
        ("from=99999999999d", "from"), ("to=0000-01-01", "to"), ("from=1970-01-01&to=9999-12-31", "from"),
        ("ip=10.0.0.0/%2B8", "ip"), ("type=" + Array(repeating: "t", count: 101).joined(separator: ","), "type"),
    ])
    func dashboardOutOfRangeIs400(query: String, field: String) async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/dashboard?" + query, token: Tokens.admin, basic: true)
            #expect(response.status == .badRequest, "\(query): \(response.status)")
            #expect(response.text.contains("\(field): "), "\(query)")
            #expect(!response.text.contains("9223372036854775807</"), "\(query)")
        }
    }

    @Test func dashboardLastPageHasNoNextLink() async throws {
        try await withAnalyticsApp { client in
            let response = try await get(client, "/dashboard?from=60d&offset=1000000&limit=100", token: Tokens.admin, basic: true)
            #expect(response.status == .ok)
            #expect(!response.text.contains(#"id="next-page""#))
        }
    }
}
