import Foundation
import Testing
import TokenTestSupport

@testable import TokenVerification

/// Every check of a verified source, on real keys: which tokens name a user and why the others do
/// not (the `reason` label of `trackingproxy_identity_rejected_total`).
@Suite struct TokenCheckTests {
    static let signer = Result { try TestSigner() }
    static let other = Result { try TestSigner() }

    static let check = TokenCheck(
        claims: ["oid", "sub"], algorithms: ["RS256", "ES256"], issuers: [TestSigner.issuer], audiences: [TestSigner.audience, "client-id"],
        leeway: 60)

    static func keys(_ signer: TestSigner, algorithms: [String] = ["RS256", "ES256"]) async throws -> KeySet {
        try await KeySet.parse(jwks: Data(signer.jwks.utf8), algorithms: algorithms)
    }

    enum Outcome: Equatable, CustomStringConvertible {
        case user(String)
        case rejected(TokenRejection)
        var description: String {
            switch self {
            case .user(let user): "user \(user)"
            case .rejected(let reason): "rejected: \(reason.rawValue)"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var expected: Outcome
        var token: @Sendable (TestSigner) async throws -> String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "valid RS256 gives oid", expected: .user("user-oid")) { try await $0.rs256() },
        Case(name: "valid ES256 gives oid", expected: .user("user-oid")) { try await $0.es256() },
        Case(name: "falls back to sub without oid", expected: .user("pairwise-sub")) {
            var claims = TestSigner.claims()
            claims.oid = nil
            return try await $0.rs256(claims)
        },
        Case(name: "one of several audiences", expected: .user("user-oid")) { try await $0.rs256(TestSigner.claims(audience: ["other", "client-id"])) },
        Case(name: "expired within the leeway", expected: .user("user-oid")) { try await $0.rs256(TestSigner.claims(expiresIn: -30)) },
        Case(name: "expired", expected: .rejected(.expired)) { try await $0.rs256(TestSigner.claims(expiresIn: -120)) },
        Case(name: "no exp", expected: .rejected(.expired)) {
            var claims = TestSigner.claims()
            claims.exp = nil
            return try await $0.es256(claims)
        },
        Case(name: "nbf in the future", expected: .rejected(.notYetValid)) { try await $0.rs256(TestSigner.claims(notBefore: 600)) },
        Case(name: "nbf within the leeway", expected: .user("user-oid")) { try await $0.rs256(TestSigner.claims(notBefore: 30)) },
        Case(name: "wrong issuer", expected: .rejected(.issuer)) {
            try await $0.rs256(TestSigner.claims(issuer: "https://login.microsoftonline.com/attacker-tenant/v2.0"))
        },
        Case(name: "wrong audience", expected: .rejected(.audience)) { try await $0.es256(TestSigner.claims(audience: ["api://another-app"])) },
        Case(name: "unknown kid", expected: .rejected(.unknownKid)) { try await $0.rs256(kid: "rotated-in") },
        Case(name: "alg none", expected: .rejected(.algorithm)) { try $0.unsigned() },
        Case(name: "HS256 with the RSA public key as secret", expected: .rejected(.algorithm)) { try await $0.confused() },
        Case(name: "bad signature", expected: .rejected(.signature)) { TestSigner.tampered(try await $0.rs256()) },
        Case(name: "bad ES256 signature", expected: .rejected(.signature)) { TestSigner.tampered(try await $0.es256()) },
        Case(name: "signed by another key under our kid", expected: .rejected(.signature)) { _ in try await other.get().rs256(kid: "rsa-1") },
        Case(name: "ES256 token under the RSA kid", expected: .rejected(.algorithm)) { try await $0.es256(kid: "rsa-1") },
        Case(name: "truncated in the payload", expected: .rejected(.malformed)) {
            let parts = try await $0.rs256().split(separator: ".")
            return "\(parts[0]).\(parts[1].prefix(parts[1].count / 2))"
        },
        Case(name: "header and payload only", expected: .rejected(.malformed)) { String(try await $0.rs256().split(separator: ".").prefix(2).joined(separator: ".")) },
        Case(name: "not a token", expected: .rejected(.malformed)) { _ in "opaque-session-token" },
        Case(name: "no oid nor sub", expected: .rejected(.malformed)) {
            var claims = TestSigner.claims()
            claims.oid = nil
            claims.sub = nil
            return try await $0.rs256(claims)
        },
    ]

    @Test(arguments: cases)
    func outcome(_ testCase: Case) async throws {
        let signer = try Self.signer.get()
        let token = try await testCase.token(signer)
        let result = Self.check.check(Array(token.utf8), keys: try await Self.keys(signer), now: Date().timeIntervalSince1970)
        let outcome: Outcome = switch result {
        case .success(let accepted): .user(accepted.userID)
        case .failure(let rejection): .rejected(rejection)
        }
        #expect(outcome == testCase.expected)
    }

    /// Keys are imported per algorithm: an RSA key never becomes an HMAC or EC key, the encryption
    /// key is skipped, and a set without usable keys is an error that says why.
    @Test func keySetHoldsKeysOnlyForTheirAlgorithms() async throws {
        let signer = try Self.signer.get()
        let keys = try await Self.keys(signer, algorithms: ["RS256", "ES256", "HS256"])
        #expect(keys.count == 2)
        #expect(Set(keys.keysByID["rsa-1"]?.keys.map { $0 } ?? []) == ["RS256"])
        #expect(Set(keys.keysByID["ec-1"]?.keys.map { $0 } ?? []) == ["ES256"])
        #expect(keys.keysByID["encryption"] == nil)
        await #expect(throws: KeySetError.self) { try await KeySet.parse(jwks: Data(signer.jwks.utf8), algorithms: ["HS256"]) }
        await #expect(throws: KeySetError.self) { try await KeySet.parse(jwks: Data("{\"keys\": 1}".utf8), algorithms: ["RS256"]) }
        await #expect(throws: KeySetError.self) { try await KeySet.parse(jwks: Data("[]".utf8), algorithms: ["RS256"]) }
    }

    /// HS256: a configured secret, and `oct` keys of a JWKS file selected by `kid`.
    @Test func hs256SecretAndOctKeys() async throws {
        let secret = "an-hs256-secret-of-at-least-32-bytes"
        let check = TokenCheck(claims: ["oid"], algorithms: ["HS256"], issuers: [], audiences: [], leeway: 60)
        let now = Date().timeIntervalSince1970
        let fromSecret = try await KeySet.hs256(secret: secret)
        let good = try await TestSigner.hs256(secret: Array(secret.utf8), kid: nil)
        let wrong = try await TestSigner.hs256(secret: Array("another-secret-of-at-least-32-bytes!".utf8), kid: nil)
        #expect((try? check.check(Array(good.utf8), keys: fromSecret, now: now).get().userID) == "user-oid")
        #expect(check.check(Array(wrong.utf8), keys: fromSecret, now: now) == .failure(.signature))

        let k = Data(secret.utf8).base64URL
        let jwks = #"{"keys": [{"kty": "oct", "kid": "k1", "k": "\#(k)"}, {"kty": "oct", "kid": "short", "k": "c2VjcmV0"}]}"#
        let fromFile = try await KeySet.parse(jwks: Data(jwks.utf8), algorithms: ["HS256"])
        #expect(fromFile.count == 1)
        let selected = try await TestSigner.hs256(secret: Array(secret.utf8), kid: "k1")
        let unknown = try await TestSigner.hs256(secret: Array(secret.utf8), kid: "k2")
        #expect((try? check.check(Array(selected.utf8), keys: fromFile, now: now).get().userID) == "user-oid")
        #expect(check.check(Array(unknown.utf8), keys: fromFile, now: now) == .failure(.unknownKid))
    }
}
