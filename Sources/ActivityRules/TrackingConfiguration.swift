import ConfigValues

/// The `tracking:` section of the proxy configuration: rules file, trusted proxies, client IP,
/// identity and privacy. Every field has a default; decoding reads snake_case keys and encoding
/// writes every key it reads (secrets as `<redacted>`), so the effective configuration can be
/// printed and unknown keys detected by comparing key sets.
public struct TrackingConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// The rules file, relative to the working directory. Default `rules/reports-app.yaml`.
    public var rulesFile: String = "rules/reports-app.yaml"
    /// Networks whose forwarding and identity headers are believed. Default none.
    public var trustedProxies: [IPNetwork] = []
    /// Where the client IP is read from when the peer is trusted.
    public var clientIP = ClientIPConfiguration()
    /// Where the user id is read from. Default: no sources (user is null).
    public var identity = IdentityConfiguration()
    /// Redaction and truncation applied to every activity.
    public var privacy = PrivacyConfiguration()

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rulesFile = "rules_file"
        case trustedProxies = "trusted_proxies"
        case clientIP = "client_ip"
        case identity
        case privacy
    }

    /// Decodes snake_case keys; every key is optional and falls back to its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rulesFile = try container.decodeIfPresent(String.self, forKey: .rulesFile) ?? rulesFile
        trustedProxies = try container.decodeIfPresent([IPNetwork].self, forKey: .trustedProxies) ?? []
        clientIP = try container.decodeIfPresent(ClientIPConfiguration.self, forKey: .clientIP) ?? clientIP
        identity = try container.decodeIfPresent(IdentityConfiguration.self, forKey: .identity) ?? identity
        privacy = try container.decodeIfPresent(PrivacyConfiguration.self, forKey: .privacy) ?? privacy
    }

    /// Encodes every key that decoding reads.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rulesFile, forKey: .rulesFile)
        try container.encode(trustedProxies, forKey: .trustedProxies)
        try container.encode(clientIP, forKey: .clientIP)
        try container.encode(identity, forKey: .identity)
        try container.encode(privacy, forKey: .privacy)
    }

    /// Every value decoding cannot judge, with its key path under `tracking`.
    public func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        func problem(_ keyPath: String, _ message: String) { problems.append(ConfigurationProblem(keyPath, message)) }
        if rulesFile.isEmpty { problem("rules_file", "must name a rules file, e.g. rules/reports-app.yaml.") }
        if clientIP.sources.isEmpty {
            problem("client_ip.sources", "must list at least one of \(ClientIPResolver.Source.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if privacy.userAgentMax < 0 { problem("privacy.user_agent_max", "must be 0 or more bytes.") }
        if let prefixLength = privacy.truncateIPv4Prefix, !(0...32).contains(prefixLength) {
            problem("privacy.truncate_ipv4_prefix", "must be 0...32 (e.g. 24), or null to keep full addresses.")
        }
        if let prefixLength = privacy.truncateIPv6Prefix, !(0...128).contains(prefixLength) {
            problem("privacy.truncate_ipv6_prefix", "must be 0...128 (e.g. 48), or null to keep full addresses.")
        }
        for (index, source) in identity.sources.enumerated() {
            let path = "identity.sources[\(index)]"
            let kinds = [source.header, source.jwtClaim, source.responseHeader].compactMap { $0 }
            if kinds.count != 1 {
                problem(path, "must have exactly one of `header`, `jwt_claim` or `response_header`.")
                continue
            }
            if source.jwtClaim == nil, source.hs256Secret != nil || source.jwksFile != nil {
                problem(path, "`hs256_secret` and `jwks_file` belong to a `jwt_claim` source.")
            }
            if source.responseHeader == nil, source.strip != nil { problem("\(path).strip", "belongs to a `response_header` source.") }
            if kinds.contains(where: { $0.isEmpty }) { problem(path, "names an empty header or claim.") }
        }
        return problems
    }

    /// The first of `problems()` as a `RulesError`, for the tools that load a tracking section on
    /// their own (`rules check`, the policy); the configuration loader reports problems located.
    public func validate(prefix: String = "tracking") throws(RulesError) {
        if let first = problems().first {
            throw RulesError(file: "<config>", code: "bad-config", message: "\(first.under(prefix))")
        }
    }
}

/// `tracking.client_ip`: the header sources believed from trusted peers, in order.
public struct ClientIPConfiguration: Codable, Sendable, Equatable {
    /// Default `[x_forwarded_for]`.
    public var sources: [ClientIPResolver.Source] = [.xForwardedFor]

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey { case sources }

    /// Decodes snake_case keys; every key is optional and falls back to its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sources = try container.decodeIfPresent([ClientIPResolver.Source].self, forKey: .sources) ?? sources
    }

    /// Encodes every key that decoding reads.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sources, forKey: .sources)
    }
}

/// `tracking.identity`: ordered identity sources.
public struct IdentityConfiguration: Codable, Sendable, Equatable {
    /// Default none: activities have no user.
    public var sources: [IdentitySourceConfiguration] = []

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey { case sources }

    /// Decodes snake_case keys; every key is optional and falls back to its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sources = try container.decodeIfPresent([IdentitySourceConfiguration].self, forKey: .sources) ?? []
    }

    /// Encodes every key that decoding reads.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sources, forKey: .sources)
    }
}

/// One identity source: exactly one of `header`, `jwt_claim` (with optional `hs256_secret` or
/// `jwks_file`) or `response_header` (with `strip`, default true).
public struct IdentitySourceConfiguration: Codable, Sendable, Equatable {
    /// A request header set by a trusted auth proxy, e.g. `X-Forwarded-User`.
    public var header: String?
    /// A claim of the Bearer JWT, e.g. `oid` or `sub`.
    public var jwtClaim: String?
    /// Verify the JWT with this HS256 secret.
    public var hs256Secret: Secret?
    /// Verify the JWT with the `oct` keys of this JWKS file (RS256 is not supported).
    public var jwksFile: String?
    /// An upstream response header, e.g. `X-User-Id`.
    public var responseHeader: String?
    /// Strip the response header before the client sees it; `response_header` only. Default true.
    public var strip: Bool?

    /// Creates a source; set exactly one of `header`, `jwtClaim`, `responseHeader`.
    public init(header: String? = nil, jwtClaim: String? = nil, hs256Secret: Secret? = nil, jwksFile: String? = nil, responseHeader: String? = nil, strip: Bool? = nil) {
        self.header = header
        self.jwtClaim = jwtClaim
        self.hs256Secret = hs256Secret
        self.jwksFile = jwksFile
        self.responseHeader = responseHeader
        self.strip = strip
    }

    enum CodingKeys: String, CodingKey {
        case header
        case jwtClaim = "jwt_claim"
        case hs256Secret = "hs256_secret"
        case jwksFile = "jwks_file"
        case responseHeader = "response_header"
        case strip
    }

    /// Decodes snake_case keys; every key is optional and falls back to its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(String.self, forKey: .header)
        jwtClaim = try container.decodeIfPresent(String.self, forKey: .jwtClaim)
        hs256Secret = try container.decodeIfPresent(Secret.self, forKey: .hs256Secret)
        jwksFile = try container.decodeIfPresent(String.self, forKey: .jwksFile)
        responseHeader = try container.decodeIfPresent(String.self, forKey: .responseHeader)
        strip = try container.decodeIfPresent(Bool.self, forKey: .strip)
    }

    /// Encodes the keys this source uses (a `response_header` source always writes `strip`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(header, forKey: .header)
        try container.encodeIfPresent(jwtClaim, forKey: .jwtClaim)
        try container.encodeIfPresent(hs256Secret, forKey: .hs256Secret)
        try container.encodeIfPresent(jwksFile, forKey: .jwksFile)
        try container.encodeIfPresent(responseHeader, forKey: .responseHeader)
        if responseHeader != nil || strip != nil { try container.encode(strip ?? true, forKey: .strip) }
    }
}

/// `tracking.privacy`: what is removed or shortened before an activity leaves the proxy.
public struct PrivacyConfiguration: Codable, Sendable, Equatable {
    /// The default list of redacted query parameter names.
    public static let defaultRedactQuery = ["token", "access_token", "password", "secret", "code", "signature", "sig", "key"]

    /// Query parameter names whose values are replaced by `<redacted>` (case-insensitive).
    public var redactQuery: [String] = Self.defaultRedactQuery
    /// Longest user agent kept, in UTF-8 bytes (cut on a character boundary). Default 512.
    public var userAgentMax: Int = 512
    /// Keep only this many leading bits of IPv4 addresses (e.g. 24); null keeps them whole.
    public var truncateIPv4Prefix: Int?
    /// Keep only this many leading bits of IPv6 addresses (e.g. 48); null keeps them whole.
    public var truncateIPv6Prefix: Int?

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case redactQuery = "redact_query"
        case userAgentMax = "user_agent_max"
        case truncateIPv4Prefix = "truncate_ipv4_prefix"
        case truncateIPv6Prefix = "truncate_ipv6_prefix"
    }

    /// Decodes snake_case keys; every key is optional and falls back to its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        redactQuery = try container.decodeIfPresent([String].self, forKey: .redactQuery) ?? redactQuery
        userAgentMax = try container.decodeIfPresent(Int.self, forKey: .userAgentMax) ?? userAgentMax
        truncateIPv4Prefix = try container.decodeIfPresent(Int.self, forKey: .truncateIPv4Prefix)
        truncateIPv6Prefix = try container.decodeIfPresent(Int.self, forKey: .truncateIPv6Prefix)
    }

    /// Writes every key; absent truncations as null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(redactQuery, forKey: .redactQuery)
        try container.encode(userAgentMax, forKey: .userAgentMax)
        if let truncateIPv4Prefix { try container.encode(truncateIPv4Prefix, forKey: .truncateIPv4Prefix) } else { try container.encodeNil(forKey: .truncateIPv4Prefix) }
        if let truncateIPv6Prefix { try container.encode(truncateIPv6Prefix, forKey: .truncateIPv6Prefix) } else { try container.encodeNil(forKey: .truncateIPv6Prefix) }
    }
}
