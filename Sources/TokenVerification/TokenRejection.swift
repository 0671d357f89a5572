import Metrics

/// Why a bearer token named no user: the `reason` label of
/// `trackingproxy_identity_rejected_total`. The set is closed, so the metric's cardinality is fixed.
public enum TokenRejection: String, Sendable, CaseIterable, Error {
    /// `exp` (plus the leeway) is past, or the token has no `exp`: a token must expire.
    case expired
    /// `nbf` (less the leeway) is still to come.
    case notYetValid = "not_yet_valid"
    /// `iss` is not one of the configured issuers.
    case issuer
    /// No `aud` value is one of the configured audiences.
    case audience
    /// `alg` is not accepted (never `none`), or the key named by `kid` is not for that algorithm.
    case algorithm
    /// `kid` names no key of the set (a refresh of a JWKS URL is asked for).
    case unknownKid = "unknown_kid"
    /// The signature does not verify.
    case signature
    /// Not a compact JWS with a JSON header and payload, or the claim is not a string or a number.
    case malformed
    /// The key set never loaded (a JWKS URL not reached since start).
    case noKeys = "no_keys"

    /// One counter per reason, made once.
    private static let counters: [TokenRejection: Counter] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0, Counter(label: "trackingproxy_identity_rejected_total", dimensions: [("reason", $0.rawValue)])) })

    /// Counts one rejection.
    func count() {
        Self.counters[self]?.increment()
    }
}
