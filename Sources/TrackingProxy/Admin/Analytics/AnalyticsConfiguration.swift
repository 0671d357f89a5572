import ConfigValues

/// The `analytics:` section of the configuration: who may read the analytics API and dashboard.
///
/// ```yaml
/// analytics:
///   tokens:
///     - token: "s3cret-admin"     # a Secret: printed as <redacted>
///       role: admin               # admin sees every row
///     - token: "s3cret-alice"
///       role: user                # user sees only the rows of user_id
///       user_id: "alice"
/// ```
/// Every key is encoded (`user_id` as `null` when unset), so re-encoding shows unknown keys.
public struct AnalyticsConfiguration: Codable, Sendable, Equatable {
    /// What a token may see.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Every row, and system health.
        case admin
        /// Only the rows of the token's `user_id`; no system health.
        case user
    }

    /// One bearer token.
    public struct Token: Codable, Sendable, Equatable {
        /// The token text clients send (`Authorization: Bearer <token>`). At least 16 characters.
        public var token: Secret
        /// What it may see.
        public var role: Role
        /// The user a `user` token is bound to; must be unset for `admin`.
        public var userID: String?

        public init(token: Secret, role: Role, userID: String? = nil) {
            self.token = token
            self.role = role
            self.userID = userID
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case token
            case role
            case userID = "user_id"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(token, forKey: .token)
            try container.encode(role, forKey: .role)
            try container.encode(userID, forKey: .userID)
        }
    }

    /// Tokens accepted by the API and the dashboard. Default: none (every request gets 401).
    public var tokens: [Token]

    public init(tokens: [Token] = []) {
        self.tokens = tokens
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tokens
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tokens = try container.decodeIfPresent([Token].self, forKey: .tokens) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokens, forKey: .tokens)
    }

    /// The shortest token accepted: shorter ones are guessable.
    public static let minimumTokenLength = 16

    /// Problems, each starting with its key path (`analytics.tokens[1].user_id: ...`); empty when valid.
    public func problems(keyPath: String = "analytics") -> [String] {
        var problems: [String] = []
        var seen: Set<String> = []
        for (index, token) in tokens.enumerated() {
            let path = "\(keyPath).tokens[\(index)]"
            if token.token.value.count < Self.minimumTokenLength {
                problems.append("\(path).token: a token has at least \(Self.minimumTokenLength) characters; generate one with `openssl rand -hex 24`")
            }
            if !seen.insert(token.token.value).inserted {
                problems.append("\(path).token: the same token is configured twice; give each token once")
            }
            switch (token.role, token.userID) {
            case (.user, nil), (.user, ""):
                problems.append("\(path).user_id: a user token needs the user id it is bound to")
            case (.admin, .some):
                problems.append("\(path).user_id: an admin token sees every user; remove user_id or use role user")
            default:
                break
            }
        }
        return problems
    }
}
