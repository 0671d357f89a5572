import ConfigValues
import Foundation

/// What the caller of an analytics request may see, found from its token.
public struct AnalyticsAccess: Sendable, Equatable {
    /// The token's role.
    public var role: AnalyticsConfiguration.Role
    /// For `user` tokens: the only user whose rows are visible.
    public var userID: String?

    /// Whether every row is visible.
    public var isAdmin: Bool { role == .admin }

    /// The access of a token with `role`; `userID` only counts for `user` tokens.
    public init(role: AnalyticsConfiguration.Role, userID: String? = nil) {
        self.role = role
        self.userID = role == .user ? userID : nil
    }
}

/// Looks tokens up. Accepts `Authorization: Bearer <token>` (API clients) and
/// `Authorization: Basic base64(any-name:<token>)` (browsers opening the dashboard prompt for it).
struct TokenBook: Sendable {
    private let tokens: [AnalyticsConfiguration.Token]

    init(_ configuration: AnalyticsConfiguration) {
        tokens = configuration.tokens
    }

    /// The access of the token in `authorization`, or `nil` when it is missing or unknown.
    func access(authorization: String?) -> AnalyticsAccess? {
        identify(authorization: authorization)?.access
    }

    /// The access of the token in `authorization` and the token's position in the configuration
    /// (which keys its rate limit), or `nil` when it is missing or unknown.
    func identify(authorization: String?) -> (access: AnalyticsAccess, index: Int)? {
        guard let presented = Self.token(from: authorization) else { return nil }
        // Compare with every token, in time independent of where they differ.
        var match: Int?
        for (index, token) in tokens.enumerated() where Self.constantTimeEqual(Array(token.token.value.utf8), Array(presented.utf8)) {
            match = index
        }
        return match.map { index in
            let token = tokens[index]
            return (AnalyticsAccess(role: token.role, userID: token.role == .user ? token.userID : nil), index)
        }
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

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}
