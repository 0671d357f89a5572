import ActivityRules
import Logging
import NIOPosix
import Testing
import TokenTestSupport
import TokenVerification

@testable import ProxyCore

/// Bearer tokens end to end: real keys, a JWKS document served over HTTP, the refresher loading it,
/// requests through the proxy, the activity's user. A token that fails a check names no user and
/// the request is answered as usual.
@Suite(.timeLimit(.minutes(3))) struct IdentityTokenTests {
    struct Sent {
        var name: String
        var token: String
        var user: String?
    }

    /// Runs a proxy tracking `report-generate` with a `jwt_claim` source on `url`, its refresher,
    /// and `body` once the keys loaded.
    static func withProxy(
        jwksURL url: String, _ body: (ProxyHarness, Watch<[ActivityEnvelope]>, VerifiedTokenReader) async throws -> Void
    ) async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        var configuration = TrackingConfiguration()
        configuration.rulesFile = fixture.path
        configuration.identity.sources = [
            IdentitySourceConfiguration(
                jwtClaim: ["oid", "sub"], jwksURL: url, issuer: [TestSigner.issuer], audience: [TestSigner.audience], jwksMinRefreshInterval: .seconds(0))
        ]
        let readers = TokenReaders()
        let policy = try TrackingPolicy(configuration: configuration, tokenReaders: readers.factory)
        let reader = try #require(readers.verified.first)
        let recorded = Watch<[ActivityEnvelope]>([], eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let tracker = ActivityTracker(policy: policy) { envelope in recorded.update { $0.append(envelope) } }
        let refresher = KeySetRefresher(
            readers: readers.verified, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), initialBackoff: .milliseconds(100))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await refresher.run() }
            defer { group.cancelAll() }
            try await ProxyHarness.run(tracker: tracker) { proxy in
                try await body(proxy, recorded, reader)
            }
        }
    }

    /// Sends each token on its own request and returns the users recorded, by request.
    static func send(_ sent: [Sent], proxy: ProxyHarness, recorded: Watch<[ActivityEnvelope]>) async throws -> [String: String?] {
        let before = recorded.value.count
        for (index, request) in sent.enumerated() {
            let client = try await proxy.connect()
            try await client.send(
                "POST /api/v1/reports/\(index)/generate/ HTTP/1.1\r\nHost: reports\r\nX-Request-Id: \(request.name)\r\n"
                    + "Authorization: Bearer \(request.token)\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200, "\(request.name): the request is answered whatever its token")
            await client.close()
        }
        try await recorded.wait(for: "\(sent.count) activities") { $0.count == before + sent.count }
        return Dictionary(uniqueKeysWithValues: recorded.value.dropFirst(before).map { ($0.requestID, $0.activity.userID) })
    }

    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func onlyVerifiedTokensNameTheUser() async throws {
        let signer = try TestSigner()
        let server = JWKSServer(document: signer.jwks)
        try await server.run { url in
            try await Self.withProxy(jwksURL: url.absoluteString) { proxy, recorded, reader in
                try await Self.eventually("keys loaded") { reader.keySetStatus.hasKeys }
                var noOID = TestSigner.claims()
                noOID.oid = nil
                let sent = [
                    Sent(name: "rs256", token: try await signer.rs256(), user: "user-oid"),
                    Sent(name: "es256", token: try await signer.es256(), user: "user-oid"),
                    Sent(name: "sub-fallback", token: try await signer.rs256(noOID), user: "pairwise-sub"),
                    Sent(name: "expired", token: try await signer.rs256(TestSigner.claims(expiresIn: -600)), user: nil),
                    Sent(name: "not-yet-valid", token: try await signer.rs256(TestSigner.claims(notBefore: 600)), user: nil),
                    Sent(name: "wrong-issuer", token: try await signer.rs256(TestSigner.claims(issuer: "https://evil/v2.0")), user: nil),
                    Sent(name: "wrong-audience", token: try await signer.es256(TestSigner.claims(audience: ["api://other"])), user: nil),
                    Sent(name: "unknown-kid", token: try await signer.rs256(kid: "nope"), user: nil),
                    Sent(name: "alg-none", token: try signer.unsigned(), user: nil),
                    Sent(name: "hs256-with-rsa-public-key", token: try await signer.confused(), user: nil),
                    Sent(name: "bad-signature", token: TestSigner.tampered(try await signer.rs256()), user: nil),
                    Sent(name: "truncated", token: String(try await signer.rs256().prefix(100)), user: nil),
                ]
                let users = try await Self.send(sent, proxy: proxy, recorded: recorded)
                for request in sent {
                    #expect(users[request.name] == .some(request.user), "\(request.name)")
                }
            }
        }
    }

    @Test func rotatedKeysAreAcceptedAfterTheRefreshTheirKidAskedFor() async throws {
        let signer = try TestSigner()
        let rotated = try TestSigner(rsaKid: "rsa-2", ecKid: "ec-2")
        let server = JWKSServer(document: signer.jwks)
        try await server.run { url in
            try await Self.withProxy(jwksURL: url.absoluteString) { proxy, recorded, reader in
                try await Self.eventually("keys loaded") { reader.keySetStatus.hasKeys }
                server.serve(rotated.jwks)
                let token = try await rotated.rs256(TestSigner.claims(oid: "rotated-user"))
                let fetches = server.requests
                #expect(try await Self.send([Sent(name: "first", token: token)], proxy: proxy, recorded: recorded)["first"] == .some(nil))
                try await Self.eventually("the refresh") { server.requests > fetches && reader.keySetStatus.loadedAt != nil && reader.userID(bearerToken: Substring(token)) != nil }
                #expect(try await Self.send([Sent(name: "again", token: token)], proxy: proxy, recorded: recorded)["again"] == .some("rotated-user"))
            }
        }
    }

    @Test func providerDownAtStartNamesNoUserButForwards() async throws {
        let signer = try TestSigner()
        try await Self.withProxy(jwksURL: "http://127.0.0.1:1/keys") { proxy, recorded, reader in
            try await Self.eventually("a failed load") { reader.keySetStatus.failures >= 1 }
            #expect(!reader.keySetStatus.hasKeys)
            let users = try await Self.send([Sent(name: "valid", token: try await signer.rs256())], proxy: proxy, recorded: recorded)
            #expect(users["valid"] == .some(nil))
        }
    }
}

extension IdentityTokenTests.Sent {
    init(name: String, token: String) {
        self.init(name: name, token: token, user: nil)
    }
}
