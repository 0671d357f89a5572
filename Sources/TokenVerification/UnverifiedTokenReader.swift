import ActivityRules
import JWTKit

/// The reader of a `jwt_claim` source with `verify: false`: takes the claim of any well-formed
/// token, signed or not, checking nothing.
///
/// Anyone can then write an activity under another user's name (a made-up token on a request the
/// app accepts by cookie, or on a view that needs no token); the configuration allows it only when
/// said explicitly, and the sidecar warns at start and in `config check`.
public struct UnverifiedTokenReader: BearerTokenReader {
    /// The claims read, first present wins.
    let claims: [String]

    private static let parser = DefaultJWTParser()

    /// A reader of `claims`.
    public init(claims: [String]) {
        self.claims = claims
    }

    /// See `BearerTokenReader`.
    public func userID(bearerToken: Substring) -> String? {
        let token = Array(bearerToken.utf8)
        guard token.count <= TokenCheck.maximumTokenBytes, let parsed = try? Self.parser.parse(token, as: TokenClaims.self) else { return nil }
        return parsed.payload.firstClaim(claims)
    }
}
