import ConfigValues
import Crypto
import Foundation

/// What the caller of an analytics request may see, found from its token.
public struct AnalyticsAccess: Sendable, Equatable {
    /// The token's role.
    public var role: AnalyticsConfiguration.Role
    /// For `user` tokens: the only user whose rows are visible.
    public var userID: String?

    /// Whether every user's rows and system health are visible: `admin` and `manager` tokens.
    /// Nothing can be changed over the API today, so no check of what an admin alone may change
    /// exists yet; when a changing route is added, it checks `role == .admin`.
    public var readsEverything: Bool { role != .user }

    /// The access of a token with `role`; `userID` only counts for `user` tokens.
    public init(role: AnalyticsConfiguration.Role, userID: String? = nil) {
        self.role = role
        self.userID = role == .user ? userID : nil
    }
}

/// Looks tokens up. Accepts `Authorization: Bearer <token>` (API clients) and
/// `Authorization: Basic base64(any-name:<token>)` (browsers opening the dashboard prompt for it).
///
/// Holds only the tokens' SHA-256 digests (`TokenDigest`), never their text: a presented token is
/// hashed and compared with every digest (swift-crypto's constant-time comparison), so the time
/// taken does not depend on which token matched or where they differ.
struct TokenBook: Sendable {
    /// One entry per configured token, in order; nil for a malformed `sha256:` text, which the
    /// loader refuses (`problems()`) and which, if it got here, matches nothing rather than trap.
    private let entries: [(digest: TokenDigest?, access: AnalyticsAccess)]

    init(_ configuration: AnalyticsConfiguration) {
        entries = configuration.allTokens.map { token in
            (try? TokenDigest(configured: token.token.value), AnalyticsAccess(role: token.role, userID: token.userID))
        }
    }

    /// The access of the token in `authorization`, or `nil` when it is missing or unknown.
    func access(authorization: String?) -> AnalyticsAccess? {
        identify(authorization: authorization)?.access
    }

    /// The access of the token in `authorization` and the token's position in the configuration
    /// (inline tokens, then the tokens file's; it keys the rate limit), or `nil` when it is missing or unknown.
    func identify(authorization: String?) -> (access: AnalyticsAccess, index: Int)? {
        guard let presented = Self.token(from: authorization) else { return nil }
        let digest = SHA256.hash(data: Array(presented.utf8))
        var match: Int?
        for (index, entry) in entries.enumerated() where entry.digest?.matches(digest) == true {
            match = index
        }
        return match.map { (entries[$0].access, $0) }
    }

    static func token(from authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        if scheme == "bearer" { return value.isEmpty ? nil : value }
        if scheme == "basic", let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
           let colon = text.firstIndex(of: ":") {
            let password = String(text[text.index(after: colon)...])
            return password.isEmpty ? nil : password
        }
        return nil
    }
}
