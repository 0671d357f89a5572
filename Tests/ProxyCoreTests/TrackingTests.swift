import ActivityRules
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import ProxyCore

/// Requests through a real proxy with a real upstream: which become activities, with what.
@Suite struct TrackingTests {
    @Test func matchedRequestBecomesOneActivityWithClientUserAndRequestID() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let recorded = try await Self.withRecordingProxy(fixture) { proxy, recorded in
            let client = try await proxy.connect()
            try await client.send(
                "POST /api/v1//reports/./x/../42/generate/?token=hunter2 HTTP/1.1\r\nHost: reports\r\n"
                    + "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-User: alice\r\nUser-Agent: test-agent\r\nContent-Length: 2\r\n\r\n{}")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            try await client.send("GET /health/ HTTP/1.1\r\nHost: reports\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            await client.close()

            try await recorded.wait(for: "one activity") { $0.count >= 1 }
            let envelope = try #require(recorded.value.first)
            #expect(envelope.activity.activityType == "generate_report")
            #expect(envelope.activity.ruleID == "report-generate")
            #expect(envelope.activity.path == "/api/v1/reports/42/generate/")
            #expect(envelope.activity.description == "Generated report 42")
            #expect(envelope.activity.clientIP == "203.0.113.7")
            #expect(envelope.activity.ipVerified)
            #expect(envelope.activity.userID == "alice")
            #expect(envelope.activity.userAgent == "test-agent")
            #expect(envelope.activity.metadata["report_id"] == "42")
            #expect(envelope.activity.status == 200)
            #expect(envelope.completed)
            #expect(envelope.requestBytes == 2)
            // The upstream saw the same request id the activity carries.
            let heads = proxy.backend.log.value.heads
            let generate = try #require(heads.first { $0.uri.contains("generate") })
            #expect(generate.headers["x-request-id"] == [envelope.requestID])
        }
        // The health check matched no rule: still exactly one activity.
        #expect(recorded.value.count == 1)
    }

    @Test func aRequestIDTheClientSentIsKeptAndSentUpstreamOnce() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        try await Self.withRecordingProxy(fixture) { proxy, recorded in
            let client = try await proxy.connect()
            try await client.send(
                "POST /api/v1/reports/9/generate/ HTTP/1.1\r\nHost: reports\r\nX-Request-Id: req-123\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            await client.close()
            try await recorded.wait(for: "one activity") { $0.count == 1 }
            #expect(recorded.value.first?.requestID == "req-123")
            let head = try #require(proxy.backend.log.value.heads.first { $0.uri.contains("generate") })
            #expect(head.headers["x-request-id"] == ["req-123"])
        }
    }

    /// The activity reads the fields the app received except the request id the proxy added: a
    /// rule that copies `X-Request-ID` into metadata copies the client's, never the made one
    /// (which is the row's `request_id`), and `X-Forwarded-For` without the peer the proxy appended.
    @Test func theActivityReadsTheReceivedFieldsWithoutTheRequestIDTheProxyAdded() async throws {
        let fixture = try RulesFixture("""
            version: 1
            rules:
              - id: report-generate
                description: Records a report being generated.
                activity: generate_report
                match: {methods: [POST], path: "/api/v1/reports/{report_id}/generate/"}
                metadata: {headers: [X-Request-ID, X-Forwarded-For]}
            """)
        defer { fixture.remove() }
        try await Self.withRecordingProxy(fixture) { proxy, recorded in
            let client = try await proxy.connect()
            try await client.send(
                "POST /api/v1/reports/1/generate/ HTTP/1.1\r\nHost: reports\r\nX-Forwarded-For: 203.0.113.7\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            try await client.send(
                "POST /api/v1/reports/2/generate/ HTTP/1.1\r\nHost: reports\r\nX-Request-Id: req-2\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            await client.close()
            try await recorded.wait(for: "two activities") { $0.count == 2 }
            let made = try #require(recorded.value.first { $0.activity.path.contains("/1/") })
            #expect(made.activity.metadata["header.x-request-id"] == nil)
            #expect(made.activity.metadata["header.x-forwarded-for"] == "203.0.113.7")
            let given = try #require(recorded.value.first { $0.activity.path.contains("/2/") })
            #expect(given.activity.metadata["header.x-request-id"] == "req-2")
            #expect(given.requestID == "req-2")
            #expect(given.activity.metadata["header.x-forwarded-for"] == nil)
            let heads = proxy.backend.log.value.heads
            #expect(heads.first { $0.uri.contains("/1/") }?.headers["x-request-id"] == [made.requestID])
            #expect(heads.first { $0.uri.contains("/1/") }?.headers["x-forwarded-for"] == ["203.0.113.7, 127.0.0.1"])
        }
    }

    @Test func untrustedPeerCannotForgeTheUserOrTheClientAddress() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        var configuration = TrackingConfiguration()
        configuration.rulesFile = fixture.path
        configuration.identity.sources = [IdentitySourceConfiguration(header: "X-Forwarded-User")]
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let recorded = Watch<[ActivityEnvelope]>([], eventLoop: loop)
        let tracker = ActivityTracker(policy: try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory)) { envelope in
            recorded.update { $0.append(envelope) }
        }
        try await ProxyHarness.run(trustPeers: false, tracker: tracker) { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "POST /api/v1/reports/7/generate/ HTTP/1.1\r\nHost: reports\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-User: mallory\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            await client.close()
            try await recorded.wait(for: "one activity") { $0.count == 1 }
            let activity = try #require(recorded.value.first).activity
            #expect(activity.clientIP == "127.0.0.1")
            #expect(activity.userID == nil)
            // Nor does the app see the forged identity header.
            let head = try #require(proxy.backend.log.value.heads.first { $0.uri.contains("generate") })
            #expect(head.headers["x-forwarded-user"].isEmpty)
            #expect(head.headers["x-forwarded-for"] == ["127.0.0.1"])
        }
    }

    @Test func reloadSwapsValidRulesAndKeepsTheOldOnesOnABadFile() throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let tracker = ActivityTracker(policy: try fixture.policy()) { _ in }
        let reloader = RulesReloader(path: fixture.path, tracker: tracker, logger: Logger(label: "test"))
        let original = tracker.currentPolicy.rules.hash
        let generate = "/api/v1/reports/1/generate/"
        var random = ConnectionRandom()
        var headers = HTTPHeaders()

        try fixture.write("version: 1\nrules:\n  - id: Not Kebab\n    activity: x\n")
        #expect(reloader.reload(reason: "test") == false)
        #expect(tracker.currentPolicy.rules.hash == original)
        #expect(tracker.begin(method: "POST", target: generate, headers: &headers, peer: "127.0.0.1", random: &random) != nil)

        try fixture.write(RulesFixture.shareRule)
        #expect(reloader.reload(reason: "test"))
        #expect(tracker.currentPolicy.rules.hash != original)
        #expect(tracker.begin(method: "POST", target: generate, headers: &headers, peer: "127.0.0.1", random: &random) == nil)
        #expect(tracker.begin(method: "POST", target: "/api/v1/reports/1/share/", headers: &headers, peer: "127.0.0.1", random: &random)?.match.ruleID == "report-share")
        // The same content again changes nothing.
        #expect(reloader.reload(reason: "test") == false)
    }

    /// Runs `body` against a proxy that trusts its peers, whose tracker, on `fixture`'s rules,
    /// records every activity into the watch `body` gets; returns the watch once the proxy stopped.
    @discardableResult
    private static func withRecordingProxy(
        _ fixture: RulesFixture, _ body: (ProxyHarness, Watch<[ActivityEnvelope]>) async throws -> Void
    ) async throws -> Watch<[ActivityEnvelope]> {
        let recorded = Watch<[ActivityEnvelope]>([], eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let tracker = ActivityTracker(policy: try fixture.policy()) { envelope in recorded.update { $0.append(envelope) } }
        try await ProxyHarness.run(trustPeers: true, tracker: tracker) { proxy in try await body(proxy, recorded) }
        return recorded
    }
}
