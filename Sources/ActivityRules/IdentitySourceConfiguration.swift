import ConfigValues
import Foundation

/// One identity source: exactly one of `header`, `jwt_claim` or `response_header` (with `strip`,
/// default true).
///
/// A `jwt_claim` source verifies the bearer token by default and so needs key material: one of
/// `jwks_url` (Azure AD and other OpenID providers), `jwks_file` or `hs256_secret`. Reading the
/// claim of an unverified token takes an explicit `verify: false` (anyone can then write an
/// activity under another user's name); the sidecar warns about it at start and in `config check`.
public struct IdentitySourceConfiguration: Codable, Sendable, Equatable {
    /// A request header set by a trusted auth proxy, e.g. `X-Forwarded-User`.
    public var header: String?
    /// The claims of the bearer token to read, first present wins, e.g. `[oid, sub]`. YAML takes a
    /// string or a list.
    public var jwtClaim: [String]?
    /// `false` reads the claim without checking the token at all. Default true.
    public var verify: Bool?
    /// An HS256 secret, at least 32 bytes.
    public var hs256Secret: Secret?
    /// A JWKS document on disk, read at start.
    public var jwksFile: String?
    /// A JWKS document fetched at start, every `jwks_refresh_interval`, and when a token names a
    /// key id the set does not have (at most once per `jwks_min_refresh_interval`).
    public var jwksURL: String?
    /// Accepted `iss` values (exact match); required with `jwks_url`. YAML takes a string or a list.
    public var issuer: [String]?
    /// Accepted `aud` values (the token's must include one); required with `jwks_url`.
    public var audience: [String]?
    /// Accepted `alg` values; default every asymmetric algorithm for JWKS keys and HS256 for a secret.
    /// `none` is never accepted.
    public var algorithms: [String]?
    /// Clock skew allowed on `exp` and `nbf`. Default 60s.
    public var leeway: ConfigDuration?
    /// How often the JWKS URL is fetched again. Default 1h.
    public var jwksRefreshInterval: ConfigDuration?
    /// The least time between two fetches asked for by unknown key ids. Default 1m.
    public var jwksMinRefreshInterval: ConfigDuration?
    /// Most verified tokens remembered. Default 10000.
    public var cacheSize: Int?
    /// An upstream response header, e.g. `X-User-Id`.
    public var responseHeader: String?
    /// Strip the response header before the client sees it; `response_header` only. Default true.
    public var strip: Bool?

    /// Every `alg` value a `jwt_claim` source may list; `none` is not one of them.
    public static let knownAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"]
    /// The default `algorithms` of a source with JWKS keys.
    public static let asymmetricAlgorithms = knownAlgorithms.filter { !$0.hasPrefix("HS") }
    /// The shortest `hs256_secret`, in bytes: HS256 keys shorter than the hash add no strength.
    public static let minimumSecretBytes = 32

    /// Creates a source; set exactly one of `header`, `jwtClaim`, `responseHeader`.
    public init(
        header: String? = nil, jwtClaim: [String]? = nil, verify: Bool? = nil, hs256Secret: Secret? = nil, jwksFile: String? = nil,
        jwksURL: String? = nil, issuer: [String]? = nil, audience: [String]? = nil, algorithms: [String]? = nil, leeway: ConfigDuration? = nil,
        jwksRefreshInterval: ConfigDuration? = nil, jwksMinRefreshInterval: ConfigDuration? = nil, cacheSize: Int? = nil,
        responseHeader: String? = nil, strip: Bool? = nil
    ) {
        self.header = header
        self.jwtClaim = jwtClaim
        self.verify = verify
        self.hs256Secret = hs256Secret
        self.jwksFile = jwksFile
        self.jwksURL = jwksURL
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        self.leeway = leeway
        self.jwksRefreshInterval = jwksRefreshInterval
        self.jwksMinRefreshInterval = jwksMinRefreshInterval
        self.cacheSize = cacheSize
        self.responseHeader = responseHeader
        self.strip = strip
    }

    /// Whether this is a `jwt_claim` source read without verification (`verify: false`).
    public var readsUnverifiedToken: Bool { jwtClaim != nil && verify == false }

    /// The algorithms a verified source accepts: as configured, or the default for its keys.
    public var acceptedAlgorithms: [String] {
        if let algorithms { return algorithms }
        return (jwksURL != nil || jwksFile != nil ? Self.asymmetricAlgorithms : []) + (hs256Secret != nil ? ["HS256"] : [])
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case header
        case jwtClaim = "jwt_claim"
        case verify
        case hs256Secret = "hs256_secret"
        case jwksFile = "jwks_file"
        case jwksURL = "jwks_url"
        case issuer, audience, algorithms, leeway
        case jwksRefreshInterval = "jwks_refresh_interval"
        case jwksMinRefreshInterval = "jwks_min_refresh_interval"
        case cacheSize = "cache_size"
        case responseHeader = "response_header"
        case strip
    }

    /// Decodes snake_case keys; every key is optional. `jwt_claim`, `issuer` and `audience` take a
    /// string or a list of strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(String.self, forKey: .header)
        jwtClaim = try Self.decodeList(container, .jwtClaim)
        verify = try container.decodeIfPresent(Bool.self, forKey: .verify)
        hs256Secret = try container.decodeIfPresent(Secret.self, forKey: .hs256Secret)
        jwksFile = try container.decodeIfPresent(String.self, forKey: .jwksFile)
        jwksURL = try container.decodeIfPresent(String.self, forKey: .jwksURL)
        issuer = try Self.decodeList(container, .issuer)
        audience = try Self.decodeList(container, .audience)
        algorithms = try container.decodeIfPresent([String].self, forKey: .algorithms)
        leeway = try container.decodeIfPresent(ConfigDuration.self, forKey: .leeway)
        jwksRefreshInterval = try container.decodeIfPresent(ConfigDuration.self, forKey: .jwksRefreshInterval)
        jwksMinRefreshInterval = try container.decodeIfPresent(ConfigDuration.self, forKey: .jwksMinRefreshInterval)
        cacheSize = try container.decodeIfPresent(Int.self, forKey: .cacheSize)
        responseHeader = try container.decodeIfPresent(String.self, forKey: .responseHeader)
        strip = try container.decodeIfPresent(Bool.self, forKey: .strip)
    }

    private static func decodeList(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [String]? {
        guard container.contains(key) else { return nil }
        if let one = try? container.decode(String.self, forKey: key) { return [one] }
        return try container.decode([String].self, forKey: key)
    }

    /// Encodes the keys this source uses (a `response_header` source always writes `strip`); a
    /// one-element list as a string, the way it is usually written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func encodeList(_ list: [String]?, _ key: CodingKeys) throws {
            guard let list else { return }
            if list.count == 1 { try container.encode(list[0], forKey: key) } else { try container.encode(list, forKey: key) }
        }
        try container.encodeIfPresent(header, forKey: .header)
        try encodeList(jwtClaim, .jwtClaim)
        try container.encodeIfPresent(verify, forKey: .verify)
        try container.encodeIfPresent(hs256Secret, forKey: .hs256Secret)
        try container.encodeIfPresent(jwksFile, forKey: .jwksFile)
        try container.encodeIfPresent(jwksURL, forKey: .jwksURL)
        try encodeList(issuer, .issuer)
        try encodeList(audience, .audience)
        try container.encodeIfPresent(algorithms, forKey: .algorithms)
        try container.encodeIfPresent(leeway, forKey: .leeway)
        try container.encodeIfPresent(jwksRefreshInterval, forKey: .jwksRefreshInterval)
        try container.encodeIfPresent(jwksMinRefreshInterval, forKey: .jwksMinRefreshInterval)
        try container.encodeIfPresent(cacheSize, forKey: .cacheSize)
        try container.encodeIfPresent(responseHeader, forKey: .responseHeader)
        if responseHeader != nil || strip != nil { try container.encode(strip ?? true, forKey: .strip) }
    }

    /// Every problem of this source, at its key path relative to the source.
    public func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        func problem(_ keyPath: String, _ message: String) { problems.append(ConfigurationProblem(keyPath, message)) }
        let kinds = [header.map { [$0] }, jwtClaim, responseHeader.map { [$0] }].compactMap { $0 }
        guard kinds.count == 1 else {
            return [ConfigurationProblem("", "must have exactly one of `header`, `jwt_claim` or `response_header`.")]
        }
        if kinds[0].isEmpty || kinds[0].contains(where: \.isEmpty) { problem("", "names an empty header or claim.") }
        if responseHeader == nil, strip != nil { problem("strip", "belongs to a `response_header` source.") }
        let tokenKeys: [(String, Bool)] = [
            ("verify", verify != nil), ("hs256_secret", hs256Secret != nil), ("jwks_file", jwksFile != nil), ("jwks_url", jwksURL != nil),
            ("issuer", issuer != nil), ("audience", audience != nil), ("algorithms", algorithms != nil), ("leeway", leeway != nil),
            ("jwks_refresh_interval", jwksRefreshInterval != nil), ("jwks_min_refresh_interval", jwksMinRefreshInterval != nil),
            ("cache_size", cacheSize != nil),
        ]
        guard jwtClaim != nil else {
            for (key, present) in tokenKeys where present { problem(key, "belongs to a `jwt_claim` source.") }
            return problems
        }
        let keySources = [hs256Secret != nil, jwksFile != nil, jwksURL != nil].filter { $0 }.count
        if verify == false {
            if keySources > 0 || issuer != nil || audience != nil || algorithms != nil {
                problem("verify", "is false, so the token is not checked: remove `hs256_secret`, `jwks_file`, `jwks_url`, `issuer`, `audience` and `algorithms`, or remove `verify: false` to check the token with them.")
            }
            return problems
        }
        if keySources == 0 {
            problem("", "verifies the bearer token but has no key: add `jwks_url` (e.g. https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys with `issuer` and `audience`), `jwks_file` or `hs256_secret`; or add `verify: false` to read the claim of an unverified token (anyone can then forge it).")
        }
        if let secret = hs256Secret, secret.value.utf8.count < Self.minimumSecretBytes {
            problem("hs256_secret", "must be at least \(Self.minimumSecretBytes) bytes (it is \(secret.value.utf8.count)); generate one with `openssl rand -base64 32`.")
        }
        if let jwksURL {
            if jwksURL.contains("{") || (issuer ?? []).contains(where: { $0.contains("{") }) {
                problem(jwksURL.contains("{") ? "jwks_url" : "issuer", "still holds a placeholder such as `{tenant}`: put the directory (tenant) id in its place.")
            } else if !(jwksURL.hasPrefix("https://") || jwksURL.hasPrefix("http://")) || jwksURL.count > 2048 || URL(string: jwksURL)?.host == nil {
                problem("jwks_url", "must be an http(s) URL, e.g. https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys.")
            }
            // A provider's keys sign every tenant's and application's tokens (Azure AD's common
            // keys do): without these two checks a token minted for another app would name a user.
            if issuer?.isEmpty ?? true { problem("issuer", "is required with `jwks_url`, e.g. https://login.microsoftonline.com/{tenant}/v2.0.") }
            if audience?.isEmpty ?? true { problem("audience", "is required with `jwks_url`: the application's client id or its api:// URI.") }
        }
        if let jwksFile, jwksFile.isEmpty { problem("jwks_file", "must name a file.") }
        if let list = issuer, list.isEmpty || list.contains(where: \.isEmpty) { problem("issuer", "must list non-empty issuers.") }
        if let list = audience, list.isEmpty || list.contains(where: \.isEmpty) { problem("audience", "must list non-empty audiences.") }
        if let algorithms {
            if algorithms.isEmpty { problem("algorithms", "must list at least one of \(Self.knownAlgorithms.joined(separator: ", ")).") }
            for algorithm in algorithms where !Self.knownAlgorithms.contains(algorithm) {
                let none = algorithm.lowercased() == "none" ? "`none` (an unsigned token) is never accepted; " : ""
                problem("algorithms", "\(none)`\(algorithm)` is not one of \(Self.knownAlgorithms.joined(separator: ", ")).")
            }
        }
        if let leeway, leeway.nanoseconds < 0 || leeway > .seconds(3600) { problem("leeway", "must be 0s...1h (default 60s).") }
        if let interval = jwksRefreshInterval, interval < .seconds(1) { problem("jwks_refresh_interval", "must be at least 1s (default 1h).") }
        if let interval = jwksMinRefreshInterval, interval.nanoseconds < 0 { problem("jwks_min_refresh_interval", "must be 0s or more (default 1m).") }
        if let cacheSize, !(1...10_000_000).contains(cacheSize) { problem("cache_size", "must be 1...10000000 (default 10000).") }
        return problems
    }
}
