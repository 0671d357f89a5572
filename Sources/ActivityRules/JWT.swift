import Foundation

/// A compact JWS token read from `Authorization: Bearer`, enough to take one claim.
///
/// Verification is optional: HS256 with a shared secret or with `oct` keys from a JWKS file.
/// RS256/ES256 JWKS keys are not supported (they would need big-number or elliptic-curve code that
/// `ActivityRules` does not carry); configuring only such keys is a configuration error.
struct JWT {
    var header: [String: Any]
    var claims: [String: Any]
    var signingInput: [UInt8]
    var signature: [UInt8]

    /// Parses `header.payload.signature`; nil when malformed.
    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Self.base64URL(parts[0]), let payloadData = Self.base64URL(parts[1]),
              let signature = Self.base64URL(parts[2]),
              let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
              let claims = (try? JSONSerialization.jsonObject(with: payloadData)) as? [String: Any]
        else { return nil }
        self.header = header
        self.claims = claims
        signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        self.signature = Array(signature)
    }

    /// Whether the token is HS256 and signed by one of `keys` (a `kid` in the header selects a key).
    func verifiesHS256(keys: [(kid: String?, key: [UInt8])]) -> Bool {
        guard header["alg"] as? String == "HS256" else { return false }
        let kid = header["kid"] as? String
        let candidates = kid.map { kid in keys.filter { $0.kid == nil || $0.kid == kid } } ?? keys
        return candidates.contains { constantTimeEquals(SHA256.hmac(key: $0.key, message: signingInput), signature) }
    }

    /// A claim as text: strings as is, numbers and booleans printed; nil for objects and arrays.
    func claim(_ name: String) -> String? {
        switch claims[name] {
        case let string as String: string.isEmpty ? nil : string
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    static func base64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// Encodes bytes as unpadded base64url (used by tests and tools to mint tokens).
    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Reads the `oct` keys of a JWKS document; throws a sentence when it holds none usable.
    static func octKeys(jwks: Data) throws(JWKSError) -> [(kid: String?, key: [UInt8])] {
        guard let document = (try? JSONSerialization.jsonObject(with: jwks)) as? [String: Any],
              let keys = document["keys"] as? [[String: Any]] else {
            throw JWKSError(message: "is not a JWKS document (a JSON object with a `keys` array)")
        }
        var result: [(kid: String?, key: [UInt8])] = []
        var unsupported: Set<String> = []
        for key in keys {
            let type = key["kty"] as? String ?? "?"
            guard type == "oct", let k = key["k"] as? String, let bytes = base64URL(Substring(k)) else {
                unsupported.insert(type)
                continue
            }
            result.append((key["kid"] as? String, Array(bytes)))
        }
        guard !result.isEmpty else {
            throw JWKSError(message: "has no `oct` (HS256) keys; key types \(unsupported.sorted().joined(separator: ", ")) (RS256, ES256) are not supported, so leave `jwks_file` unset to read the claim without verification")
        }
        return result
    }
}

struct JWKSError: Error {
    var message: String
}
