import Testing
@testable import ActivityRules

@Suite struct PrivacyTests {
    static func privacy(v4: Int? = nil, v6: Int? = nil, userAgentMax: Int = 512, redact: [String]? = nil) -> Privacy {
        var configuration = PrivacyConfiguration()
        configuration.truncateIPv4Prefix = v4
        configuration.truncateIPv6Prefix = v6
        configuration.userAgentMax = userAgentMax
        if let redact { configuration.redactQuery = redact }
        return Privacy(configuration)
    }

    @Test(arguments: [
        ("/x?token=abc&format=pdf", "/x?token=<redacted>&format=pdf"),
        ("/x?ACCESS_TOKEN=a&Password=b&sig=c&signature=d&key=e&code=f&secret=g", "/x?ACCESS_TOKEN=<redacted>&Password=<redacted>&sig=<redacted>&signature=<redacted>&key=<redacted>&code=<redacted>&secret=<redacted>"),
        ("/x?tok%65n=abc", "/x?tok%65n=<redacted>"),
        ("/x?keys=1&token", "/x?keys=1&token"),
        ("/x", "/x"),
    ])
    func defaultQueryRedaction(_ target: String, _ expected: String) {
        #expect(Self.privacy().redactedTarget(target) == expected)
    }

    @Test(arguments: [
        (24 as Int?, nil as Int?, "203.0.113.77", "203.0.113.0"),
        (16, nil, "203.0.113.77", "203.0.0.0"),
        (nil, 48, "2001:db8:1234:5678::1", "2001:db8:1234::"),
        (nil, 48, "203.0.113.77", "203.0.113.77"),
        (24, nil, "2001:db8::1", "2001:db8::1"),
        (24, 48, "not-an-ip", "not-an-ip"),
        (nil, nil, "203.0.113.77", "203.0.113.77"),
    ])
    func ipTruncation(_ v4: Int?, _ v6: Int?, _ ip: String, _ expected: String) {
        #expect(Self.privacy(v4: v4, v6: v6).ip(ip) == expected)
    }

    @Test func userAgentIsCapped() {
        let privacy = Self.privacy(userAgentMax: 5)
        #expect(privacy.userAgent("Mozilla/5.0") == "Mozil")
        #expect(privacy.userAgent("curl") == "curl")
        #expect(privacy.userAgent("") == nil)
        #expect(privacy.userAgent(nil) == nil)
    }

    /// `user_agent_max` bounds UTF-8 bytes, cutting on a character boundary: a user agent of
    /// multi-byte characters stays within the byte bound the column and the record size rely on.
    @Test(arguments: [
        (2, "é😀x", "é"),          // é is 2 bytes, 😀 4
        (5, "é😀x", "é"),          // 5 bytes would split 😀
        (6, "é😀x", "é😀"),
        (7, "é😀x", "é😀x"),
        (3, "abcdef", "abc"),
        (0, "abc", ""),
        (4, "😀😀😀", "😀"),
        (3, "😀😀😀", ""),
        (1, "e\u{301}x", "e"),     // a combining accent is its own scalar
    ])
    func userAgentIsCappedInBytes(_ max: Int, _ value: String, _ expected: String) {
        let cut = Self.privacy(userAgentMax: max).userAgent(value)
        #expect(cut == expected)
        #expect((cut?.utf8.count ?? 0) <= max)
    }

    @Test func aLongMultiByteUserAgentStaysWithinTheByteBound() throws {
        let cut = try #require(Self.privacy(userAgentMax: 512).userAgent(String(repeating: "😀", count: 500)))
        #expect(cut.utf8.count == 512)
        #expect(cut == String(repeating: "😀", count: 128))
    }

    /// With truncation on, every address in the stored forwarding chain is truncated, whatever
    /// form the entry wrote it in; what is no address cannot leak one.
    @Test(arguments: [
        (24 as Int?, 48 as Int?, "203.0.113.77:5678", "203.0.113.0"),
        (24, 48, "203.0.113.77:0", "203.0.113.0"),
        (24, 48, "[2001:db8:1234:5678::1]:443", "2001:db8:1234::"),
        (24, 48, "[2001:db8:1234:5678::1]", "2001:db8:1234::"),
        (24, 48, "2001:db8:1234:5678::1", "2001:db8:1234::"),
        (24, 48, "::ffff:203.0.113.77", "203.0.113.0"),
        (24, 48, "203.0.113.77", "203.0.113.0"),
        (24, 48, "unknown", Privacy.unparsableEntry),
        (24, 48, "203.0.113.77%eth0", Privacy.unparsableEntry),
        (24, nil, "[2001:db8::1]:443", "[2001:db8::1]:443"),
        (nil, 48, "203.0.113.77:80", "203.0.113.77:80"),
        (nil, nil, "203.0.113.77:80", "203.0.113.77:80"),
        (nil, nil, "garbage", "garbage"),
    ])
    func forwardedChainEntriesAreTruncated(_ v4: Int?, _ v6: Int?, _ entry: String, _ expected: String) {
        #expect(Self.privacy(v4: v4, v6: v6).forwardedEntry(entry) == expected)
    }

    @Test func activityTruncatesEveryChainEntry() throws {
        var configuration = TrackingConfiguration()
        configuration.trustedProxies = [IPNetwork("10.0.0.0/8")!]
        configuration.privacy.truncateIPv4Prefix = 24
        configuration.privacy.truncateIPv6Prefix = 48
        let policy = try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory, rules: rules("""
        version: 1
        rules:
          - {id: r, description: d., activity: act, match: {methods: [GET], path: "/r"}}
        """))
        let match = try #require(policy.rules.match(method: "GET", target: "/r"))
        let activity = try #require(policy.activity(
            for: match, peer: "10.0.0.2",
            requestHeaders: headers(["X-Forwarded-For: 198.51.100.99:4000, [2001:db8:1:2::3]:443 203.0.113.77:80, 10.9.8.7:1"]), status: 200
        ))
        #expect(activity.forwardedChain == ["198.51.100.0", "2001:db8:1::", "203.0.113.0", "10.9.8.0"])
        #expect(activity.clientIP == "203.0.113.0")
    }

    @Test func activityAppliesPrivacyAndIdentity() throws {
        var configuration = TrackingConfiguration()
        configuration.trustedProxies = [IPNetwork("10.0.0.0/8")!]
        configuration.privacy.truncateIPv4Prefix = 24
        configuration.privacy.userAgentMax = 4
        configuration.identity.sources = [.init(header: "X-Forwarded-User"), .init(responseHeader: "X-User-Id")]
        let policy = try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory, rules: rules("""
        version: 1
        rules:
          - {id: r, description: d., activity: act, match: {methods: [GET], path: "/r/{id}"}, metadata: {query: [token, format]}}
        """))
        let match = try #require(policy.rules.match(method: "GET", target: "/r/9?token=abc&format=csv"))
        let activity = try #require(policy.activity(
            for: match, peer: "10.0.0.2:3456",
            requestHeaders: headers(["X-Forwarded-For: 203.0.113.77", "User-Agent: Mozilla/5.0", "X-Forwarded-User: alice"]),
            responseHeaders: headers(["X-User-Id: 5"]), status: 200
        ))
        #expect(activity == Activity(
            ruleID: "r", activityType: "act", description: "GET /r/9", method: "GET", path: "/r/9", status: 200,
            clientIP: "203.0.113.0", ipVerified: true, peer: "10.0.0.0", forwardedChain: ["203.0.113.0"],
            userAgent: "Mozi", userID: "alice", metadata: ["id": "9", "query.token": "<redacted>", "query.format": "csv"]
        ))
        #expect(policy.activity(for: match, peer: "10.0.0.2", requestHeaders: [], status: 404) == nil)
        #expect(policy.clientIP.upstreamForwarding(peer: "1.2.3.4", headers: []).dropHeaders.contains("x-forwarded-user"))
    }
}
