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
            problems += source.problems().under("identity.sources[\(index)]")
        }
        return problems
    }

    /// Valid but dangerous settings, each at its key path under `tracking`: `config check` prints
    /// them and `serve` logs them at start.
    public func warnings() -> [ConfigurationProblem] {
        identity.sources.enumerated().compactMap { index, source in
            guard source.readsUnverifiedToken else { return nil }
            return ConfigurationProblem(
                "identity.sources[\(index)].verify",
                "is false: the bearer token's claim is read without checking the token, so anyone can record activities under another user's name; configure `jwks_url` (Azure AD), `jwks_file` or `hs256_secret` instead.")
        }
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
