import ActivityRules
import NIOCore
import NIOPosix
import Testing

@testable import ProxyCore

/// What a client sends never crosses the proxy's trust boundary: header spellings the app reads as
/// the proxy's own, identities from fields the app never saw, hosts that are no host, upgrades to
/// protocols the proxy cannot see into, trailers that would re-frame or re-route a request.
@Suite struct TrustBoundaryTests {
    /// Django (WSGI, ASGI) reads `X_Forwarded_For` as `HTTP_X_FORWARDED_FOR`, like `X-Forwarded-For`.
    static let underscoreSpellings = [
        "X_Forwarded_For", "X_Forwarded_Proto", "X_Forwarded_Host", "X_Real_IP", "X_Forwarded_User", "X-Forwarded_For",
    ]

    @Test func fieldNamesWithUnderscoresNeverReachTheUpstream() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            let forged = Self.underscoreSpellings.map { "\($0): 6.6.6.6\r\n" }.joined()
            try await client.send("GET /echo HTTP/1.1\r\nHost: a\r\n\(forged)My_Header: x\r\n\r\n")
            let echo = try await client.readResponse().echo()
            for name in Self.underscoreSpellings + ["My_Header"] {
                #expect(echo.headers.allSatisfy { $0.first?.lowercased() != name.lowercased() }, "\(name) reached the upstream")
            }
            #expect(echo.values("x-forwarded-for") == ["127.0.0.1"])
        }
    }

    @Test func underscoresAllowedStillNeverSpellTheProxysFields() async throws {
        try await ProxyHarness.run(configure: { $0.client.underscoresInHeaders = true }) { proxy in
            let client = try await proxy.connect()
            let forged = Self.underscoreSpellings.map { "\($0): 6.6.6.6\r\n" }.joined()
            try await client.send("GET /echo HTTP/1.1\r\nHost: a\r\n\(forged)My_Header: x\r\nContent_Length: 5\r\n\r\n")
            let echo = try await client.readResponse().echo()
            for name in Self.underscoreSpellings + ["Content_Length"] {
                #expect(echo.headers.allSatisfy { $0.first?.lowercased() != name.lowercased() }, "\(name) reached the upstream")
            }
            #expect(echo.value("my_header") == "x")
        }
    }

    @Test func identityComesFromTheHeadTheAppReceived() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let (tracker, recorded) = try fixture.recordingTracker()
        try await ProxyHarness.run(trustPeers: true, tracker: tracker) { proxy in
            let client = try await proxy.connect()
            // `Connection` names the identity field: the proxy drops it, so the app never sees
            // "victim", and neither may the record.
            try await client.send(
                "POST /api/v1/reports/1/generate/ HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-User\r\n"
                    + "X-Forwarded-User: victim\r\nX_Forwarded_User: victim2\r\nContent-Length: 0\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.value("x-forwarded-user") == nil)
            try await recorded.wait(for: "one activity") { $0.count == 1 }
            #expect(recorded.value.first?.activity.userID == nil)
            // The chain recorded is the one received from the trusted peer.
            try await client.send(
                "POST /api/v1/reports/2/generate/ HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-User: alice\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            try await recorded.wait(for: "two activities") { $0.count == 2 }
            let second = try #require(recorded.value.last?.activity)
            #expect(second.userID == "alice")
            #expect(second.clientIP == "203.0.113.7")
            #expect(second.forwardedChain == ["203.0.113.7"])
        }
    }

    @Test func aFallbackClientIPSourceStillAppliesWhenTheTrustedPeerSendsNoChain() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        var configuration = TrackingConfiguration()
        configuration.rulesFile = fixture.path
        configuration.trustedProxies = [IPNetwork("127.0.0.1/32")].compactMap { $0 }
        configuration.clientIP.sources = [.xForwardedFor, .xRealIP]
        let recorded = Watch<[ActivityEnvelope]>([], eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let tracker = ActivityTracker(policy: try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory)) { envelope in
            recorded.update { $0.append(envelope) }
        }
        try await ProxyHarness.run(trustPeers: true, tracker: tracker) { proxy in
            let client = try await proxy.connect()
            try await client.send("POST /api/v1/reports/3/generate/ HTTP/1.1\r\nHost: a\r\nX-Real-IP: 198.51.100.4\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            try await recorded.wait(for: "one activity") { $0.count == 1 }
            #expect(recorded.value.first?.activity.clientIP == "198.51.100.4")
        }
    }

    @Test func anUntrustedClientsOtherForwardingFieldsAreDropped() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: a\r\nX-Forwarded-Port: 443\r\nX-Forwarded-Prefix: /admin\r\nx-forwarded-ssl: on\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.headers.allSatisfy { !$0[0].lowercased().hasPrefix("x-forwarded-") || ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"].contains($0[0]) })
        }
    }

    @Test func anUpgradeRequestIsNotReadPastUntilItsAnswer() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            // After an upgrade request the decoder keeps whatever is read: the proxy must stop
            // reading, so 32 MiB sent behind it stay with the client (its channel turns unwritable)
            // instead of filling the proxy's memory.
            try await client.send("GET /hold HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
            try await proxy.backend.log.wait(for: "the held request") { $0.heldRequests == 1 }
            let flood = ByteBuffer(repeating: 0x41, count: 1 << 20)
            for _ in 0..<32 { client.channel.writeAndFlush(flood, promise: nil) }
            try await Task.sleep(for: .seconds(1))
            #expect(!client.channel.isWritable)
            proxy.backend.releaseHeld()
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.value("connection") == "close")
        }
    }

    @Test(arguments: [
        "bad host", "a: b", "a/b", "a@b", "[::1", "[::1]x", "host:80x", "host:8 0", "a%zz", "a%4", "\u{7F}",
    ])
    func invalidHostGets400(host: String) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            #expect(try await client.readResponse().status == 400)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.heads.isEmpty)
        }
    }

    @Test func nonASCIIHostGets400() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(bytes: Array("GET /echo HTTP/1.1\r\nHost: fuzz.te".utf8) + [0xFF] + Array("t\r\n\r\n".utf8))
            #expect(try await client.readResponse().status == 400)
            #expect(proxy.backend.log.value.heads.isEmpty)
        }
    }

    @Test(arguments: ["example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8443", "[fe80::1%25eth0]", "a_b.example", "xn--bcher-kva.example", "%41.example", ""])
    func validHostIsForwarded(host: String) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.value("host") == host)
        }
    }

    @Test func absoluteFormWithAnInvalidAuthorityGets400() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET http://a%zz/echo HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().status == 400)
            #expect(proxy.backend.log.value.heads.isEmpty)
        }
    }

    @Test func h2cUpgradeIsForwardedAsAPlainRequest() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            // What follows an upgrade request is not HTTP/1.1 the proxy reads: the HTTP/2 preface
            // here must never reach the app, and the connection closes after the answer.
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.value("connection") == "close")
            let echo = try response.echo()
            #expect(echo.values("upgrade").isEmpty)
            #expect(echo.values("http2-settings").isEmpty)
            #expect(echo.values("connection").isEmpty)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.heads.count == 1)
        }
    }

    @Test func upgradeListingAnotherProtocolBesideWebSocketIsNotTunnelled() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.values("upgrade").isEmpty)
        }
    }

    @Test func requestTrailersAreFiltered() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
                    + "X-Checksum: abc\r\nHost: evil\r\nX-Forwarded-For: 6.6.6.6\r\nX_Forwarded_For: 6.6.6.6\r\n"
                    + "Authorization: Bearer x\r\nTE: trailers\r\nX-Real-IP: 6.6.6.6\r\nCookie: a=b\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.trailers == [["X-Checksum", "abc"]])
        }
    }

    @Test func tooManyConnectionOptionsGet400() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            let options = (0...RequestHeadValidator.maxConnectionOptions).map { "x-\($0)" }.joined(separator: ", ")
            try await client.send("GET /echo HTTP/1.1\r\nHost: a\r\nConnection: \(options)\r\n\r\n")
            #expect(try await client.readResponse().status == 400)
        }
    }
}
