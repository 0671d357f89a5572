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
///     - token: "sha256:9f86d0…"   # a digest from `trackingproxy analytics hash-token`
///       role: manager             # manager reads what admin reads
///   tokens_file: tokens.yaml      # more entries, same schema; relative to this file's directory
///   rate_limit: {requests_per_second: 10, burst: 50}     # default for user and manager tokens
/// ```
/// Every key is encoded (`user_id` as `null` when unset), so re-encoding shows unknown keys. The
/// tokens file is read while decoding (`TokensFile`) when the loader asks for named files; its
/// entries are in `fileTokens`, never encoded.
public struct AnalyticsConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// What a token may see.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Every row, and system health.
        case admin
        /// Only the rows of the token's `user_id`; no system health.
        case user
        /// Reads everything an admin reads (every row, system health). Nothing can be changed over
        /// the API today; an operation that changes something will be for `admin` only.
        case manager
    }

    /// One bearer token.
    public struct Token: Codable, Sendable, Equatable {
        /// The token text clients send (`Authorization: Bearer <token>`), at least 16 characters,
        /// or its digest, `sha256:<64 hex digits>` (see `TokenDigest`).
        public var token: Secret
        /// What it may see.
        public var role: Role
        /// The user a `user` token is bound to; must be unset for `admin`.
        public var userID: String?
        /// This token's own limit; unset: `analytics.rate_limit` for user and manager tokens, none for admins.
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
    /// `tokens_file`: a YAML file holding a list of more token entries (same schema as `tokens`),
    /// so that tokens stay out of the main configuration; relative to the configuration file's
    /// directory. Default: none.
    public var tokensFile: String?
    /// The entries read from `tokensFile` when the configuration was decoded by a loader that
    /// reads named files (`analytics serve`, `doctor`, `config check`); empty otherwise.
    public var fileTokens: [Token] = []
    /// The API's limit for `user` and `manager` tokens without one of their own. Default 10 per
    /// second, burst 50.
    public var rateLimit = RateLimit.userDefault

    public init(tokens: [Token] = []) {
        self.tokens = tokens
    }

    /// Every accepted token: `tokens`, then the tokens file's entries.
    public var allTokens: [Token] { tokens + fileTokens }

    /// This section with every token replaced by its `sha256:` digest text, so that a process
    /// holding it (the analytics service, for as long as it runs) keeps no token itself. A token
    /// whose text is a malformed digest is left as it is (`problems()` reports it).
    public func withTokensAsDigests() -> AnalyticsConfiguration {
        var copy = self
        func digest(_ token: Token) -> Token {
            var token = token
            if let digest = try? TokenDigest(configured: token.token.value) { token.token = Secret(digest.text) }
            return token
        }
        copy.tokens = tokens.map(digest)
        copy.fileTokens = fileTokens.map(digest)
        return copy
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case idleTimeout = "idle_timeout"
        case maxConnections = "max_connections"
        case tokens
        case tokensFile = "tokens_file"
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
        tokensFile = try container.decodeIfPresent(String.self, forKey: .tokensFile)
        // Read only by the processes that use the tokens (see `CodingUserInfoKey.readsNamedFiles`).
        if let tokensFile, decoder.userInfo[.readsNamedFiles] as? Bool == true {
            do {
                fileTokens = try TokensFile.load(path: tokensFile, directory: decoder.userInfo[.configurationDirectory] as? String)
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .tokensFile, in: container, debugDescription: error.description)
            }
        }
        rateLimit = try container.decodeIfPresent(RateLimit.self, forKey: .rateLimit) ?? defaults.rateLimit
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(listen, forKey: .listen)
        try container.encode(idleTimeout, forKey: .idleTimeout)
        try container.encode(maxConnections, forKey: .maxConnections)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(tokensFile, forKey: .tokensFile)
        try container.encode(rateLimit, forKey: .rateLimit)
    }

    /// The limit of `token`: its own, else the section's for user and manager tokens (an admin's
    /// scripts are not limited unless it has its own); nil when unlimited.
    public func limit(of token: Token) -> RateLimit? {
        let limit = token.rateLimit ?? (token.role == .admin ? nil : rateLimit)
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
        var seen: Set<TokenDigest> = []
        for (index, token) in tokens.enumerated() {
            problems += Self.problems(of: token, seen: &seen).map { $0.under("tokens[\(index)]") }
        }
        for (index, token) in fileTokens.enumerated() {
            // Reported at `tokens_file` (the key in this file), naming the entry in the other file.
            problems += Self.problems(of: token, seen: &seen).map {
                ConfigurationProblem("tokens_file", "\(tokensFile ?? "the tokens file") entry \(index + 1), \($0.keyPath): \($0.message)")
            }
        }
        return problems
    }

    /// One token's problems, at keys relative to the token; `seen` holds the digests met before it.
    private static func problems(of token: Token, seen: inout Set<TokenDigest>) -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        let text = token.token.value
        do {
            let digest = try TokenDigest(configured: text)
            if !text.hasPrefix(TokenDigest.prefix), text.count < minimumTokenLength {
                problems.append(ConfigurationProblem("token", "a token has at least \(minimumTokenLength) characters; generate one with `openssl rand -hex 24`"))
            }
            if !seen.insert(digest).inserted {
                problems.append(ConfigurationProblem("token", "the same token is configured twice (as text or as its sha256: digest); give each token once"))
            }
        } catch {
            problems.append(ConfigurationProblem("token", error.description))
        }
        problems += token.rateLimit?.problems(at: "rate_limit") ?? []
        switch (token.role, token.userID) {
        case (.user, nil), (.user, ""):
            problems.append(ConfigurationProblem("user_id", "a user token needs the user id it is bound to"))
        case (.admin, .some), (.manager, .some):
            problems.append(ConfigurationProblem("user_id", "an \(token.role.rawValue) token sees every user; remove user_id or use role user"))
        default:
            break
        }
        return problems
    }
}
