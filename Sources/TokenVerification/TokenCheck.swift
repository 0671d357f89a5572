import Foundation
import JWTKit

/// What a verified `jwt_claim` source checks, and the check itself: pure, synchronous, no I/O.
///
/// Order: the token's shape (jwt-kit's parser), `alg` against the allow-list, the key (`kid`),
/// the signature (jwt-kit's algorithm on swift-crypto), then `exp`, `nbf`, `iss`, `aud`, and the
/// claim. Claims are read only from a token whose signature verified.
struct TokenCheck: Sendable {
    /// The claims read, first present wins.
    var claims: [String]
    /// Accepted `alg` values (never `none`: the configuration refuses it, and no key is for it).
    var algorithms: Set<String>
    /// Accepted issuers; empty: any.
    var issuers: Set<String>
    /// Accepted audiences; empty: any.
    var audiences: Set<String>
    /// Allowed clock skew, in seconds.
    var leeway: Double

    /// Tokens longer than this are `malformed` without being parsed (Azure AD's are 1-3 KiB).
    static let maximumTokenBytes = 16 * 1024

    /// A token that passed every check: the user it names and when it stops being valid.
    struct Accepted: Sendable, Equatable {
        var userID: String
        /// `exp` plus the leeway, in seconds since 1970.
        var validUntil: Double
    }

    private static let parser = DefaultJWTParser()

    /// Checks `token` against `keys` at `now` (seconds since 1970).
    func check(_ token: [UInt8], keys: KeySet, now: Double) -> Result<Accepted, TokenRejection> {
        guard token.count <= Self.maximumTokenBytes,
            let parts = try? Self.parser.getTokenParts(token),
            let parsed = try? Self.parser.parse(token, as: TokenClaims.self)
        else { return .failure(.malformed) }
        let (header, claims, signature) = parsed
        guard let alg = header.alg, algorithms.contains(alg) else { return .failure(.algorithm) }
        let candidates: [any JWTAlgorithm]
        switch keys.algorithm(kid: header.kid, alg: alg) {
        case .success(let found): candidates = found
        case .failure(let rejection): return .failure(rejection)
        }
        let signingInput = token[token.startIndex..<parts.payload.endIndex]
        guard candidates.contains(where: { (try? $0.verify(signature, signs: signingInput)) == true }) else {
            return .failure(.signature)
        }
        guard let expiresAt = claims.expiresAt, expiresAt.isFinite, now <= expiresAt + leeway else { return .failure(.expired) }
        if let notBefore = claims.notBefore, !(notBefore.isFinite && now >= notBefore - leeway) { return .failure(.notYetValid) }
        if !issuers.isEmpty, !(claims.issuer.map(issuers.contains) ?? false) { return .failure(.issuer) }
        if !audiences.isEmpty, !(claims.audience ?? []).contains(where: audiences.contains) { return .failure(.audience) }
        guard let userID = claims.firstClaim(self.claims) else { return .failure(.malformed) }
        return .success(Accepted(userID: userID, validUntil: expiresAt + leeway))
    }
}
