import ActivityRules
import Foundation
import Logging
import NIOPosix
import Testing
import TokenTestSupport

@testable import TokenVerification

/// The refresher against a JWKS document served over real HTTP: load at start, rotation through an
/// unknown `kid`, a provider down at start and later.
@Suite(.timeLimit(.minutes(2))) struct KeySetRefresherTests {
    static let logger = Logger(label: "token-test")

    /// A verified reader of `url` as the configuration builds it, with fast refresh settings.
    static func reader(_ url: URL, minRefresh: String = "0s") throws -> VerifiedTokenReader {
        var source = IdentitySourceConfiguration(
            jwtClaim: ["oid", "sub"], jwksURL: url.absoluteString, issuer: [TestSigner.issuer], audience: [TestSigner.audience],
            jwksMinRefreshInterval: try .init(parsing: minRefresh))
        source.jwksRefreshInterval = .seconds(3600)
        #expect(source.problems().isEmpty)
        let readers = TokenReaders()
        _ = try readers.reader(for: source, keyPath: "tracking.identity.sources[0]", directory: nil)
        return try #require(readers.verified.first)
    }

    /// Runs the refresher of `reader` while `body` runs.
    static func refreshing<T>(_ reader: VerifiedTokenReader, _ body: () async throws -> T) async throws -> T {
        let refresher = KeySetRefresher(readers: [reader], eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger, initialBackoff: .milliseconds(100))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await refresher.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Polls (every 20 ms, at most `timeout`) until `condition` holds.
    static func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func user(_ reader: VerifiedTokenReader, _ token: String) -> String? {
        reader.userID(bearerToken: Substring(token))
    }

    @Test func loadsAtStartAndVerifiesRS256AndES256() async throws {
        let signer = try TestSigner()
        let server = JWKSServer(document: signer.jwks)
        try await server.run { url in
            let reader = try Self.reader(url)
            let token = try await signer.rs256()
            #expect(Self.user(reader, token) == nil, "no keys before the refresher ran")
            #expect(reader.keySetStatus.phase == .loading)
            try await Self.refreshing(reader) {
                try await Self.eventually("keys loaded") { reader.keySetStatus.hasKeys }
                #expect(Self.user(reader, token) == "user-oid")
                #expect(Self.user(reader, try await signer.es256()) == "user-oid")
                #expect(reader.keySetStatus.keys == 2)
                #expect(reader.keySetStatus.cachedTokens == 2)
                #expect(Self.user(reader, token) == "user-oid", "cached")
            }
        }
    }

    @Test func rotationIsPickedUpThroughTheUnknownKid() async throws {
        let signer = try TestSigner()
        let rotated = try TestSigner(rsaKid: "rsa-2", ecKid: "ec-2")
        let server = JWKSServer(document: signer.jwks)
        try await server.run { url in
            let reader = try Self.reader(url)
            try await Self.refreshing(reader) {
                try await Self.eventually("keys loaded") { reader.keySetStatus.hasKeys }
                let fetches = server.requests
                server.serve(rotated.jwks)
                let token = try await rotated.rs256()
                #expect(Self.user(reader, token) == nil, "unknown kid: rejected, and a refresh is asked for")
                try await Self.eventually("the refresh the unknown kid asked for") { server.requests > fetches && reader.keySetStatus.keys == 2 && Self.user(reader, token) != nil }
                #expect(Self.user(reader, token) == "user-oid")
                #expect(Self.user(reader, try await signer.rs256()) == nil, "the old key left the set")
            }
        }
    }

    @Test func unknownKidsRefreshAtMostOncePerMinimumInterval() async throws {
        let signer = try TestSigner()
        let server = JWKSServer(document: signer.jwks)
        try await server.run { url in
            let reader = try Self.reader(url, minRefresh: "1h")
            try await Self.refreshing(reader) {
                try await Self.eventually("keys loaded") { reader.keySetStatus.hasKeys }
                for index in 0..<20 {
                    #expect(Self.user(reader, try await signer.rs256(kid: "made-up-\(index)")) == nil)
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(server.requests == 1)
            }
        }
    }

    @Test func downAtStartYieldsNoUserUntilTheKeysLoad() async throws {
        let signer = try TestSigner()
        let server = JWKSServer(document: signer.jwks)
        server.setAvailable(false)
        try await server.run { url in
            let reader = try Self.reader(url)
            let token = try await signer.rs256()
            try await Self.refreshing(reader) {
                try await Self.eventually("two failed fetches") { reader.keySetStatus.failures >= 2 }
                let status = reader.keySetStatus
                #expect(status.phase == .loading && !status.hasKeys)
                #expect(status.lastError?.contains("503") == true)
                #expect(Self.user(reader, token) == nil)
                server.setAvailable(true)
                try await Self.eventually("keys loaded after the provider came back") { reader.keySetStatus.hasKeys }
                #expect(Self.user(reader, token) == "user-oid")
            }
        }
    }

    @Test func unreachableProviderNeverLoads() async throws {
        // A port nobody listens on: connection refused on every fetch.
        let reader = try Self.reader(try #require(URL(string: "http://127.0.0.1:1/keys")))
        try await Self.refreshing(reader) {
            try await Self.eventually("a failed fetch") { reader.keySetStatus.failures >= 1 }
            #expect(!reader.keySetStatus.hasKeys)
            #expect(reader.keySetStatus.lastError?.contains("cannot fetch") == true)
        }
    }

    @Test func downLaterKeepsTheLastGoodKeys() async throws {
        let signer = try TestSigner()
        let server = JWKSServer(document: signer.jwks)
        let reader = try await server.run { url in
            let reader = try Self.reader(url)
            try await Self.refreshing(reader) {
                try await Self.eventually("keys loaded") { reader.keySetStatus.hasKeys }
            }
            return reader
        }
        // The server is gone; a refresh (asked for by an unknown kid) fails and the keys stay.
        try await Self.refreshing(reader) {
            _ = Self.user(reader, try await signer.rs256(kid: "unknown"))
            try await Self.eventually("a failed refresh") { reader.keySetStatus.failures >= 1 }
            #expect(reader.keySetStatus.phase == .failed)
            #expect(reader.keySetStatus.hasKeys)
            #expect(Self.user(reader, try await signer.es256()) == "user-oid")
        }
    }

    @Test func secretAndFileLoadOnce() async throws {
        let signer = try TestSigner()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try signer.jwks.write(to: directory.appendingPathComponent("keys.json"), atomically: true, encoding: .utf8)
        let readers = TokenReaders()
        let secret = "an-hs256-secret-of-at-least-32-bytes"
        _ = try readers.reader(for: .init(jwtClaim: ["oid"], jwksFile: "keys.json"), keyPath: "s[0]", directory: directory.path)
        _ = try readers.reader(for: .init(jwtClaim: ["oid"], hs256Secret: .init(secret)), keyPath: "s[1]", directory: nil)
        let file = readers.verified[0]
        let hmac = readers.verified[1]
        try await Self.refreshing(file) {
            try await Self.eventually("file keys") { file.keySetStatus.hasKeys }
        }
        try await Self.refreshing(hmac) {
            try await Self.eventually("secret key") { hmac.keySetStatus.hasKeys }
        }
        #expect(Self.user(file, try await signer.es256()) == "user-oid")
        #expect(Self.user(hmac, try await TestSigner.hs256(secret: Array(secret.utf8), kid: nil)) == "user-oid")
        #expect(Self.user(hmac, try await signer.rs256()) == nil)

        try "{}".write(to: directory.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
        #expect {
            _ = try readers.reader(for: .init(jwtClaim: ["oid"], jwksFile: "bad.json"), keyPath: "tracking.identity.sources[2]", directory: directory.path)
        } throws: { error in
            "\(error)".contains("tracking.identity.sources[2].jwks_file") && "\(error)".contains("not a JWKS document")
        }
        #expect {
            _ = try readers.reader(for: .init(jwtClaim: ["oid"], jwksFile: "missing.json"), keyPath: "tracking.identity.sources[3]", directory: directory.path)
        } throws: { error in
            "\(error)".contains("cannot read")
        }
    }

    @Test func unverifiedReaderTakesAnyWellFormedToken() async throws {
        let signer = try TestSigner()
        let reader = UnverifiedTokenReader(claims: ["oid", "sub"])
        #expect(reader.userID(bearerToken: Substring(try signer.unsigned())) == "user-oid")
        #expect(reader.userID(bearerToken: Substring(TestSigner.tampered(try await signer.rs256()))) == "user-oid")
        #expect(reader.userID(bearerToken: "not-a-token") == nil)
    }
}
