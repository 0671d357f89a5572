import Foundation
import Testing
@testable import ActivityRules

/// The resolver's choice among sources; bearer tokens are read by `TokenVerification`'s readers
/// (tested in TokenVerificationTests), here by one that takes the token's text as the user.
@Suite struct IdentityTests {
    /// Names the user `token` for the token `token`: enough to see which token reaches the reader.
    struct TokenText: BearerTokenReader {
        func userID(bearerToken: Substring) -> String? { bearerToken.hasPrefix("user-") ? String(bearerToken) : nil }
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

    static let cases: [Case] = [
        .init(name: "no sources", sources: [], request: ["X-Forwarded-User: alice"], user: nil),
        .init(name: "trusted header", sources: [.header("x-forwarded-user")], request: ["X-Forwarded-User: alice"], user: "alice"),
        .init(name: "header from untrusted peer ignored", sources: [.header("x-forwarded-user")], request: ["X-Forwarded-User: alice"], trusted: false, user: nil),
        .init(name: "empty header ignored", sources: [.header("x-forwarded-user")], request: ["X-Forwarded-User:  "], user: nil),
        .init(name: "bearer token reaches the reader", sources: [.bearerToken(TokenText())], request: ["Authorization: Bearer user-1"], trusted: false, user: "user-1"),
        .init(name: "scheme is case-insensitive", sources: [.bearerToken(TokenText())], request: ["authorization: bearer   user-2"], user: "user-2"),
        .init(name: "the last Authorization field counts", sources: [.bearerToken(TokenText())], request: ["Authorization: Bearer user-1", "Authorization: Bearer user-3"], user: "user-3"),
        .init(name: "reader names nobody", sources: [.bearerToken(TokenText())], request: ["Authorization: Bearer forged"], user: nil),
        .init(name: "Basic auth is not a bearer token", sources: [.bearerToken(TokenText())], request: ["Authorization: Basic user-1"], user: nil),
        .init(name: "empty bearer token", sources: [.bearerToken(TokenText())], request: ["Authorization: Bearer "], user: nil),
        .init(name: "rules tools read no token", sources: [.bearerToken(IgnoredBearerToken())], request: ["Authorization: Bearer user-1"], user: nil),
        .init(name: "response header", sources: [.responseHeader("x-user-id", strip: true)], response: ["X-User-Id: 77"], trusted: false, user: "77"),
        .init(name: "first source wins", sources: [.header("x-forwarded-user"), .bearerToken(TokenText()), .responseHeader("x-user-id", strip: true)], request: ["X-Forwarded-User: alice", "Authorization: Bearer user-1"], response: ["X-User-Id: 77"], user: "alice"),
        .init(name: "falls through to the next source", sources: [.header("x-forwarded-user"), .bearerToken(TokenText()), .responseHeader("x-user-id", strip: true)], request: ["Authorization: Bearer forged"], response: ["X-User-Id: 77"], user: "77"),
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

    /// The policy hands every `jwt_claim` source, with its key path, to the factory.
    @Test func policyAsksTheFactoryForEveryJWTSource() throws {
        var configuration = TrackingConfiguration()
        configuration.rulesFile = defaultRulesPath
        configuration.identity.sources = [.init(header: "X-User"), .init(jwtClaim: ["oid"], verify: false), .init(jwtClaim: ["sub"], verify: false)]
        var asked: [String] = []
        _ = try TrackingPolicy(configuration: configuration) { source, keyPath, _ in
            asked.append("\(keyPath)=\(source.jwtClaim ?? [])")
            return TokenText()
        }
        #expect(asked == ["tracking.identity.sources[1]=[\"oid\"]", "tracking.identity.sources[2]=[\"sub\"]"])
    }
}
