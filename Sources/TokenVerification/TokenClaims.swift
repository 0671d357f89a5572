import JWTKit

/// The payload of a bearer token as far as identity needs it: the registered claims that are
/// checked and every string or number claim as text (the user id is one of them).
///
/// Decoding never fails on a claim of another type (objects, lists, booleans are skipped) so that a
/// token with rich claims still yields its `oid`; it fails on `exp`, `nbf`, `iss` or `aud` of the
/// wrong type (`malformed`).
struct TokenClaims: JWTPayload {
    var expiresAt: Double?
    var notBefore: Double?
    var issuer: String?
    var audience: [String]?
    /// String claims as they are, numbers printed (`42`, `1.5`).
    var text: [String: String]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var text: [String: String] = [:]
        for key in container.allKeys {
            switch key.stringValue {
            case "exp": expiresAt = try container.decode(Double.self, forKey: key)
            case "nbf": notBefore = try container.decode(Double.self, forKey: key)
            case "iss": issuer = try container.decode(String.self, forKey: key)
            case "aud":
                if let one = try? container.decode(String.self, forKey: key) { audience = [one] } else { audience = try container.decode([String].self, forKey: key) }
            default: break
            }
            if let string = try? container.decode(String.self, forKey: key) {
                text[key.stringValue] = string
            } else if let integer = try? container.decode(Int64.self, forKey: key) {
                text[key.stringValue] = String(integer)
            } else if let number = try? container.decode(Double.self, forKey: key), number.isFinite {
                text[key.stringValue] = "\(number)"
            }
        }
        self.text = text
    }

    /// Never encoded: the sidecar reads tokens, it does not mint them.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in text { try container.encode(value, forKey: Key(stringValue: name)) }
    }

    /// jwt-kit's hook for claim checks; `TokenCheck` does them with the configured leeway instead.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// The first of `names` present and non-empty.
    func firstClaim(_ names: [String]) -> String? {
        for name in names {
            if let value = text[name], !value.isEmpty { return value }
        }
        return nil
    }
}
