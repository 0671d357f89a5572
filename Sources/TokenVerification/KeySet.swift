import Foundation
import JWTKit

/// The verification keys of one `jwt_claim` source, as jwt-kit algorithms ready to verify: an
/// immutable value, built off the data path and published whole (`VerifiedTokenReader.publish`).
///
/// A key is stored once per algorithm it may verify, keyed by `kid` and `alg`, so that a token's
/// `alg` picks the algorithm and never the other way round: an RSA key exists only as RS*/PS*
/// algorithms, an EC key only as its curve's ES*, and HMAC keys come only from `hs256_secret` or
/// `oct` keys. A token signed HS256 with an RSA public key as the secret (algorithm confusion)
/// finds no HS256 key under that `kid`.
struct KeySet: Sendable {
    /// Algorithms by key id, then by `alg`.
    let keysByID: [String: [String: any JWTAlgorithm]]
    /// Keys without a key id (a configured secret), by `alg`; tried when the token has no `kid`.
    let anonymous: [String: [any JWTAlgorithm]]
    /// Number of keys (not algorithms) in the set.
    let count: Int

    /// The algorithms that may verify a token with this header, or why there are none.
    ///
    /// A `kid` of the set selects that key, and only as the token's `alg`. Otherwise a configured
    /// secret verifies the token whatever its `kid`. A token without `kid` is not tried against
    /// every JWKS key (one token would cost every key's verification; Azure AD always sends one).
    func algorithm(kid: String?, alg: String) -> Result<[any JWTAlgorithm], TokenRejection> {
        if let kid, let byAlgorithm = keysByID[kid] {
            guard let algorithm = byAlgorithm[alg] else { return .failure(.algorithm) }
            return .success([algorithm])
        }
        if let keys = anonymous[alg], !keys.isEmpty { return .success(keys) }
        return .failure(anonymous.isEmpty ? .unknownKid : .algorithm)
    }
}

/// Why a key set could not be built; `message` is a sentence.
struct KeySetError: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension KeySet {
    /// The key set of an HS256 secret (at least 32 bytes, checked by the configuration).
    static func hs256(secret: String) async throws(KeySetError) -> KeySet {
        let collection = JWTKeyCollection()
        _ = await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "secret")
        do {
            let algorithm = try await collection.getKey(for: "secret", alg: "HS256")
            return KeySet(keysByID: [:], anonymous: ["HS256": [algorithm]], count: 1)
        } catch {
            throw KeySetError(message: "the HS256 secret is not a usable key (\(error))")
        }
    }

    /// Parses a JWKS document (`{"keys": [...]}`) into the keys usable with `algorithms`.
    ///
    /// Keys jwt-kit cannot read, keys without `kid`, encryption keys (`use: enc`) and keys for no
    /// accepted algorithm are skipped; `oct` keys (HMAC, at least 32 bytes) are read from `k`.
    /// Throws a sentence when nothing usable is left, so a set is never published empty.
    static func parse(jwks data: Data, algorithms: [String]) async throws(KeySetError) -> KeySet {
        guard data.count <= 1 << 20 else { throw KeySetError(message: "is larger than 1 MiB") }
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let keys = document["keys"] as? [Any]
        else {
            throw KeySetError(message: "is not a JWKS document (a JSON object with a `keys` array)")
        }
        var keysByID: [String: [String: any JWTAlgorithm]] = [:]
        var skipped: [String] = []
        for case let key as [String: Any] in keys.prefix(256) {
            guard let kid = key["kid"] as? String, !kid.isEmpty else {
                skipped.append("a key without `kid`")
                continue
            }
            if let use = key["use"] as? String, use != "sig" { continue }
            var usable: [String: any JWTAlgorithm] = [:]
            for alg in candidateAlgorithms(key, accepted: algorithms) {
                if let algorithm = await algorithm(key, kid: kid, alg: alg) { usable[alg] = algorithm }
            }
            if usable.isEmpty {
                skipped.append("`\(kid)` (\(key["kty"] as? String ?? "no kty"))")
            } else {
                keysByID[kid, default: [:]].merge(usable) { first, _ in first }
            }
        }
        guard !keysByID.isEmpty else {
            let detail = skipped.isEmpty ? "" : ": skipped \(skipped.prefix(5).joined(separator: ", "))"
            throw KeySetError(message: "has no key usable with the accepted algorithms \(algorithms.joined(separator: ", "))\(detail)")
        }
        return KeySet(keysByID: keysByID, anonymous: [:], count: keysByID.count)
    }

    /// The accepted algorithms a JWK may verify: by its `kty` (and curve), narrowed to its `alg`
    /// when it names one.
    private static func candidateAlgorithms(_ key: [String: Any], accepted: [String]) -> [String] {
        let byType: [String] = switch (key["kty"] as? String, key["crv"] as? String) {
        case ("RSA", _): ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        case ("EC", "P-256"): ["ES256"]
        case ("EC", "P-384"): ["ES384"]
        case ("EC", "P-521"): ["ES512"]
        case ("OKP", "Ed25519"): ["EdDSA"]
        case ("oct", _): ["HS256", "HS384", "HS512"]
        default: []
        }
        let declared = key["alg"] as? String
        return byType.filter { accepted.contains($0) && (declared == nil || declared == $0) }
    }

    /// One JWK as a jwt-kit algorithm, in a collection of its own (jwt-kit remembers the first
    /// algorithm a JWK was used with, so each algorithm gets a fresh collection); nil when jwt-kit
    /// refuses the key or gives another algorithm than asked.
    private static func algorithm(_ key: [String: Any], kid: String, alg: String) async -> (any JWTAlgorithm)? {
        let collection = JWTKeyCollection()
        if key["kty"] as? String == "oct" {
            guard let k = key["k"] as? String, let secret = Data(base64URLEncoded: k), secret.count >= 32 else { return nil }
            let digest: DigestAlgorithm = switch alg {
            case "HS384": .sha384
            case "HS512": .sha512
            default: .sha256
            }
            _ = await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: digest, kid: JWKIdentifier(string: kid))
        } else {
            var publicOnly = key
            // Private members in a published set are a provider's mistake; verification needs none.
            for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] { publicOnly[member] = nil }
            guard let json = try? JSONSerialization.data(withJSONObject: publicOnly),
                let jwk = try? JSONDecoder().decode(JWK.self, from: json),
                (try? await collection.add(jwk: jwk)) != nil
            else { return nil }
        }
        guard let algorithm = try? await collection.getKey(for: JWKIdentifier(string: kid), alg: alg), algorithm.name == alg else { return nil }
        return algorithm
    }
}

extension Data {
    /// Decodes unpadded base64url (RFC 7515 §2); nil when it is not.
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
