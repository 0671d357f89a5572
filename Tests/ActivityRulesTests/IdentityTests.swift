import Foundation
import Testing
@testable import ActivityRules

@Suite struct IdentityTests {
    static func token(_ claims: [String: Any], secret: String, alg: String = "HS256", kid: String? = nil) -> String {
        var header: [String: Any] = ["alg": alg, "typ": "JWT"]
        if let kid { header["kid"] = kid }
        let h = JWT.base64URLEncode(Array(try! JSONSerialization.data(withJSONObject: header)))
        let p = JWT.base64URLEncode(Array(try! JSONSerialization.data(withJSONObject: claims)))
        let signature = SHA256.hmac(key: Array(secret.utf8), message: Array("\(h).\(p)".utf8))
        return "\(h).\(p).\(JWT.base64URLEncode(signature))"
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256Vectors(_ message: String, _ digest: String) {
        #expect(SHA256.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func sha256MillionA() {
        #expect(SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231 test cases 1, 2 and 6 (key longer than a block).
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func hmacVectors(_ key: [UInt8], _ message: [UInt8], _ digest: String) {
        #expect(SHA256.hex(SHA256.hmac(key: key, message: message)) == digest)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var sources: [IdentityResolver.Source]
        var request: [String] = []
        var response: [String] = []
        var trusted = true
        var user: String?
        var testDescription: String { name }
    }

    static let good = token(["oid": "user-oid", "sub": "user-sub", "n": 42], secret: "s3cret")
    static let bad = token(["oid": "forged"], secret: "wrong")
    static let none = token(["oid": "none-alg"], secret: "s3cret", alg: "none")
    static let key = IdentityResolver.HMACKey(kid: nil, key: Array("s3cret".utf8))

    static let cases: [Case] = [
        .init(name: "no sources", sources: [], request: ["X-Forwarded-User: alice"], user: nil),
        .init(name: "trusted header", sources: [.header("x-forwarded-user")], request: ["X-Forwarded-User: alice"], user: "alice"),
        .init(name: "header from untrusted peer ignored", sources: [.header("x-forwarded-user")], request: ["X-Forwarded-User: alice"], trusted: false, user: nil),
        .init(name: "empty header ignored", sources: [.header("x-forwarded-user")], request: ["X-Forwarded-User:  "], user: nil),
        .init(name: "JWT claim unverified", sources: [.jwtClaim("oid", keys: [])], request: ["Authorization: Bearer \(bad)"], trusted: false, user: "forged"),
        .init(name: "JWT claim with good HS256", sources: [.jwtClaim("oid", keys: [key])], request: ["Authorization: Bearer \(good)"], user: "user-oid"),
        .init(name: "JWT claim with bad HS256", sources: [.jwtClaim("oid", keys: [key])], request: ["Authorization: Bearer \(bad)"], user: nil),
        .init(name: "JWT alg none refused when verifying", sources: [.jwtClaim("oid", keys: [key])], request: ["Authorization: Bearer \(none)"], user: nil),
        .init(name: "JWT numeric claim", sources: [.jwtClaim("n", keys: [key])], request: ["authorization: bearer \(good)"], user: "42"),
        .init(name: "JWT missing claim", sources: [.jwtClaim("email", keys: [])], request: ["Authorization: Bearer \(good)"], user: nil),
        .init(name: "malformed JWT", sources: [.jwtClaim("oid", keys: [])], request: ["Authorization: Bearer a.b"], user: nil),
        .init(name: "Basic auth is not a JWT", sources: [.jwtClaim("oid", keys: [])], request: ["Authorization: Basic YTpi"], user: nil),
        .init(name: "response header", sources: [.responseHeader("x-user-id", strip: true)], response: ["X-User-Id: 77"], trusted: false, user: "77"),
        .init(name: "first source wins", sources: [.header("x-forwarded-user"), .jwtClaim("sub", keys: []), .responseHeader("x-user-id", strip: true)], request: ["X-Forwarded-User: alice", "Authorization: Bearer \(good)"], response: ["X-User-Id: 77"], user: "alice"),
        .init(name: "falls through to the next source", sources: [.header("x-forwarded-user"), .jwtClaim("sub", keys: [key]), .responseHeader("x-user-id", strip: true)], request: ["Authorization: Bearer \(bad)"], response: ["X-User-Id: 77"], user: "77"),
    ]

    @Test(arguments: cases)
    func userID(_ testCase: Case) {
        let resolver = IdentityResolver(sources: testCase.sources)
        #expect(resolver.userID(requestHeaders: headers(testCase.request), responseHeaders: headers(testCase.response), peerTrusted: testCase.trusted) == testCase.user)
    }

    @Test func strippedAndTrustedHeaders() {
        let resolver = IdentityResolver(sources: [.header("x-forwarded-user"), .responseHeader("x-user-id", strip: true), .responseHeader("x-keep", strip: false)])
        #expect(resolver.strippedResponseHeaders == ["x-user-id"])
        #expect(resolver.trustedRequestHeaders == ["x-forwarded-user"])
    }

    @Test func jwksOctKeysSelectedByKid() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let k = JWT.base64URLEncode(Array("jwks-secret".utf8))
        write(#"{"keys": [{"kty": "RSA", "kid": "r", "n": "x", "e": "AQAB"}, {"kty": "oct", "kid": "k1", "k": "\#(k)"}]}"#, to: directory + "/jwks.json")
        var configuration = TrackingConfiguration()
        configuration.rulesFile = defaultRulesPath
        configuration.identity.sources = [.init(jwtClaim: "sub", jwksFile: "jwks.json")]
        let policy = try TrackingPolicy(configuration: configuration, directory: directory)
        let good = Self.token(["sub": "u1"], secret: "jwks-secret", kid: "k1")
        let wrongKid = Self.token(["sub": "u1"], secret: "jwks-secret", kid: "other")
        #expect(policy.identity.userID(requestHeaders: headers(["Authorization: Bearer \(good)"]), responseHeaders: [], peerTrusted: false) == "u1")
        #expect(policy.identity.userID(requestHeaders: headers(["Authorization: Bearer \(wrongKid)"]), responseHeaders: [], peerTrusted: false) == nil)

        write(#"{"keys": [{"kty": "RSA", "kid": "r", "n": "x", "e": "AQAB"}]}"#, to: directory + "/rsa.json")
        configuration.identity.sources = [.init(jwtClaim: "sub", jwksFile: "rsa.json")]
        #expect {
            _ = try TrackingPolicy(configuration: configuration, directory: directory)
        } throws: { error in
            "\(error)".contains("tracking.identity.sources[0].jwks_file") && "\(error)".contains("not supported")
        }
    }
}
