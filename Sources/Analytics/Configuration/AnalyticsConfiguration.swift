import ConfigValues

/// The `analytics:` section of the configuration: the analytics service's listener (`trackingproxy
/// analytics serve`) and who may read its API and dashboard.
///
/// ```yaml
/// analytics:
///   listen: 127.0.0.1:9100        # default
///   idle_timeout: 60s             # default
///   max_connections: 256          # default
///   tokens:
///     - token: "s3cret-admin"     # a Secret: printed as <redacted>
///       role: admin               # admin sees every row
///     - token: "s3cret-alice"
///       role: user                # user sees only the rows of user_id
///       user_id: "alice"
///       rate_limit: {requests_per_second: 10, burst: 50}   # optional, see RateLimit
///   rate_limit: {requests_per_second: 10, burst: 50}     # default for user tokens
/// ```
/// Every key is encoded (`user_id` as `null` when unset), so re-encoding shows unknown keys.
public struct AnalyticsConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
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
        /// This token's own limit; unset: `analytics.rate_limit` for user tokens, none for admins.
        public var rateLimit: RateLimit?

        public init(token: Secret, role: Role, userID: String? = nil, rateLimit: RateLimit? = nil) {
            self.token = token
            self.role = role
            self.userID = userID
            self.rateLimit = rateLimit
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case token
            case role
            case userID = "user_id"
            case rateLimit = "rate_limit"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(token, forKey: .token)
            try container.encode(role, forKey: .role)
            try container.encode(userID, forKey: .userID)
            try container.encode(rateLimit, forKey: .rateLimit)
        }
    }

    /// Where the analytics service listens. Default `127.0.0.1:9100`.
    public var listen = HostPort(host: "127.0.0.1", port: 9100)
    /// Time a connection may stay without a complete request before it is closed. Default `60s`.
    public var idleTimeout = ConfigDuration.seconds(60)
    /// Most connections open at once; past it new ones wait in the listen backlog. Default `256`.
    public var maxConnections = 256
    /// Tokens accepted by the API and the dashboard. Default: none (every request gets 401).
    public var tokens: [Token]
    /// The API's limit for `user` tokens without one of their own. Default 10 per second, burst 50.
    public var rateLimit = RateLimit.userDefault

    public init(tokens: [Token] = []) {
        self.tokens = tokens
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case idleTimeout = "idle_timeout"
        case maxConnections = "max_connections"
        case tokens
        case rateLimit = "rate_limit"
    }

    public init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let listener = try ListenerSettings.decode(
            from: container, listenKey: .listen, idleTimeoutKey: .idleTimeout, maxConnectionsKey: .maxConnections,
            defaults: ListenerSettings(listen: defaults.listen))
        (listen, idleTimeout, maxConnections) = (listener.listen, listener.idleTimeout, listener.maxConnections)
        tokens = try container.decodeIfPresent([Token].self, forKey: .tokens) ?? []
        rateLimit = try container.decodeIfPresent(RateLimit.self, forKey: .rateLimit) ?? defaults.rateLimit
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(listen, forKey: .listen)
        try container.encode(idleTimeout, forKey: .idleTimeout)
        try container.encode(maxConnections, forKey: .maxConnections)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(rateLimit, forKey: .rateLimit)
    }

    /// The limit of `token`: its own, else the section's for user tokens; nil when unlimited.
    public func limit(of token: Token) -> RateLimit? {
        let limit = token.rateLimit ?? (token.role == .user ? rateLimit : nil)
        return limit.flatMap { $0.isEnabled ? $0 : nil }
    }

    /// The shortest token accepted: shorter ones are guessable.
    public static let minimumTokenLength = 16

    /// Every value decoding cannot judge, with its key path under `analytics`.
    public func problems() -> [ConfigurationProblem] {
        var listener = ListenerSettings(listen: listen)
        (listener.idleTimeout, listener.maxConnections) = (idleTimeout, maxConnections)
        var problems = listener.problems()
        problems += rateLimit.problems(at: "rate_limit")
        var seen: Set<String> = []
        for (index, token) in tokens.enumerated() {
            let path = "tokens[\(index)]"
            if token.token.value.count < Self.minimumTokenLength {
                problems.append(ConfigurationProblem("\(path).token", "a token has at least \(Self.minimumTokenLength) characters; generate one with `openssl rand -hex 24`"))
            }
            if !seen.insert(token.token.value).inserted {
                problems.append(ConfigurationProblem("\(path).token", "the same token is configured twice; give each token once"))
            }
            problems += token.rateLimit?.problems(at: "\(path).rate_limit") ?? []
            switch (token.role, token.userID) {
            case (.user, nil), (.user, ""):
                problems.append(ConfigurationProblem("\(path).user_id", "a user token needs the user id it is bound to"))
            case (.admin, .some):
                problems.append(ConfigurationProblem("\(path).user_id", "an admin token sees every user; remove user_id or use role user"))
            default:
                break
            }
        }
        return problems
    }
}
