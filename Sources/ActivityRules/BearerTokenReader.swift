/// Reads the user id from the token of an `Authorization: Bearer` header, for a `jwt_claim`
/// identity source.
///
/// Implemented outside this module (`TokenVerification`: a verifying reader on jwt-kit and
/// swift-crypto, and the unverified reader of `verify: false`), so that the rules, the rules tools
/// and their fuzz targets stay free of jwt-kit, X.509 and the HTTP client that fetches JWKS. Called on event loops for every recorded activity: it must not block, and what it
/// costs is measured by `identity-bench`.
public protocol BearerTokenReader: Sendable {
    /// The user id the token names, or nil when it names none or fails a check. Never empty.
    func userID(bearerToken: Substring) -> String?
}

/// Builds the reader of one `jwt_claim` source: `source` is valid (its `problems()` are empty);
/// `keyPath` locates it in errors (`tracking.identity.sources[0]`); relative files resolve against
/// `directory`. Blocking file I/O.
public typealias BearerTokenReaderFactory = (_ source: IdentitySourceConfiguration, _ keyPath: String, _ directory: String?) throws(RulesError) -> any BearerTokenReader

/// The reader of the rules tools (`rules explain`, `rules test`), which load no keys: a bearer
/// token names no user there.
public struct IgnoredBearerToken: BearerTokenReader {
    /// The reader.
    public init() {}

    /// Always nil.
    public func userID(bearerToken: Substring) -> String? { nil }

    /// A factory that gives every `jwt_claim` source this reader.
    public static var factory: BearerTokenReaderFactory { { _, _, _ in IgnoredBearerToken() } }
}
