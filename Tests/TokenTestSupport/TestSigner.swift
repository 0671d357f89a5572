import Crypto
import CryptoExtras
import Foundation
import JWTKit

/// Real keys made for one test run (RSA 2048 and P-256, with swift-crypto), the JWKS document that
/// publishes them, and tokens signed with them by jwt-kit, plus the forged ones the tests need.
public struct TestSigner: Sendable {
    /// The RSA key's id in the JWKS document.
    public let rsaKid: String
    /// The EC key's id.
    public let ecKid: String
    public let rsa: JWTKit.Insecure.RSA.PrivateKey
    public let ec: ES256PrivateKey

    public static let issuer = "https://login.microsoftonline.com/test-tenant/v2.0"
    public static let audience = "api://reports"

    /// New keys (RSA generation takes a moment in debug builds: make one per suite).
    public init(rsaKid: String = "rsa-1", ecKid: String = "ec-1") throws {
        self.rsaKid = rsaKid
        self.ecKid = ecKid
        rsa = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        ec = ES256PrivateKey()
    }

    /// The claims of a token: Azure AD's `oid` and `sub`, and the checked ones.
    public struct Claims: JWTPayload {
        public var oid: String?
        public var sub: String?
        public var iss: String?
        public var aud: [String]?
        public var exp: Double?
        public var nbf: Double?

        public func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Claims valid now for `oid`.
    public static func claims(oid: String = "user-oid", sub: String? = "pairwise-sub", expiresIn: Double = 3600, notBefore: Double? = nil,
                              issuer: String = issuer, audience: [String] = [audience]) -> Claims {
        let now = Date().timeIntervalSince1970
        return Claims(oid: oid, sub: sub, iss: issuer, aud: audience, exp: now + expiresIn, nbf: notBefore.map { now + $0 })
    }

    /// A JWKS document with the public halves of both keys (and a `use: enc` key to skip).
    public var jwks: String {
        // swift-format-ignore
        let modulus = (try? rsa.publicKey.getKeyPrimitives()).map { ($0.modulus.base64URL, $0.publicExponent.base64URL) }
        let (n, e) = modulus ?? ("", "")
        let (x, y) = ec.parameters ?? ("", "")
        return """
            {"keys": [
              {"kty": "RSA", "use": "sig", "kid": "\(rsaKid)", "n": "\(n)", "e": "\(e)"},
              {"kty": "EC", "use": "sig", "crv": "P-256", "kid": "\(ecKid)", "x": "\(x)", "y": "\(y)"},
              {"kty": "RSA", "use": "enc", "kid": "encryption", "n": "\(n)", "e": "\(e)"}
            ]}
            """
    }

    /// An RS256 token signed by the RSA key.
    public func rs256(_ claims: Claims = claims(), kid: String? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(rsa: rsa, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid ?? rsaKid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid ?? rsaKid))
    }

    /// An ES256 token signed by the EC key.
    public func es256(_ claims: Claims = claims(), kid: String? = nil) async throws -> String {
        let keys = await JWTKeyCollection().add(ecdsa: ec, kid: JWKIdentifier(string: kid ?? ecKid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid ?? ecKid))
    }

    /// HS256 with `secret`, under `kid`.
    public static func hs256(_ claims: Claims = claims(), secret: some DataProtocol, kid: String?) async throws -> String {
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: kid.map { JWKIdentifier(string: $0) })
        return try await keys.sign(claims, kid: kid.map { JWKIdentifier(string: $0) })
    }

    /// Algorithm confusion: HS256 with the RSA public key (PEM, as a verifier would hold it) as
    /// the secret, under the RSA key's id.
    public func confused(_ claims: Claims = claims()) async throws -> String {
        try await Self.hs256(claims, secret: Array(rsa.publicKey.pemRepresentation.utf8), kid: rsaKid)
    }

    /// `alg: none` with no signature.
    public func unsigned(_ claims: Claims = claims()) throws -> String {
        let header = Data(#"{"alg":"none","typ":"JWT","kid":"\#(rsaKid)"}"#.utf8).base64URL
        let payload = try JSONEncoder().encode(claims).base64URL
        return "\(header).\(payload)."
    }

    /// `token` with one signature character changed: the tenth from the end, a whole six bits
    /// (the last one may hold padding bits a decoder ignores or refuses).
    public static func tampered(_ token: String) -> String {
        var characters = Array(token)
        guard characters.count > 10 else { return token }
        let middle = characters.count - 10
        characters[middle] = characters[middle] == "Q" ? "R" : "Q"
        return String(characters)
    }
}

extension Data {
    /// Unpadded base64url.
    public var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
