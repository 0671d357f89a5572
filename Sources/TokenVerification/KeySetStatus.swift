import Foundation

/// How the key set of one verified `jwt_claim` source stands, for `/status`, `/readyz` and logs.
public struct KeySetStatus: Sendable, Equatable, Encodable {
    /// `loading` (never loaded), `loaded`, or `failed` (the last refresh failed; the previous set
    /// stays in force).
    public enum Phase: String, Sendable, Encodable {
        case loading, loaded, failed
    }

    /// The source, e.g. `tracking.identity.sources[0]`.
    public var source: String
    /// Where the keys come from: `jwks_url https://…`, `jwks_file keys.json` or `hs256_secret`.
    public var origin: String
    public var phase: Phase
    /// Keys in force (0 while loading).
    public var keys: Int
    /// When the set in force was loaded.
    public var loadedAt: Date?
    /// Failed loads in a row.
    public var failures: Int
    /// Why the last load failed, when it did.
    public var lastError: String?
    /// Verified tokens remembered.
    public var cachedTokens: Int

    /// Whether a key set is in force (a source without one yields no user).
    public var hasKeys: Bool { keys > 0 }

    enum CodingKeys: String, CodingKey {
        case source, origin, phase, keys
        case loadedAt = "loaded_at"
        case failures
        case lastError = "last_error"
        case cachedTokens = "cached_tokens"
    }
}
