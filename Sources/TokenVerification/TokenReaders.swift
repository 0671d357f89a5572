import ActivityRules
import ConfigValues
import Foundation

/// Builds the readers of a configuration's `jwt_claim` sources (`TrackingPolicy`'s
/// `tokenReaders`) and keeps the verified ones, whose keys `KeySetRefresher` loads and whose status
/// the admin listener shows.
///
/// Not thread-safe: build the policy with it, then hand `verified` on.
public final class TokenReaders {
    /// The verified readers made so far, in configuration order.
    public private(set) var verified: [VerifiedTokenReader] = []

    /// An empty set of readers.
    public init() {}

    /// The factory to give `TrackingPolicy`.
    public var factory: BearerTokenReaderFactory {
        { (source, keyPath, directory) throws(RulesError) -> any BearerTokenReader in
            try self.reader(for: source, keyPath: keyPath, directory: directory)
        }
    }

    /// The reader of one valid `jwt_claim` source. Reads a `jwks_file` now (blocking) and checks
    /// that it holds a usable key, so a bad file stops the start with its key path.
    public func reader(for source: IdentitySourceConfiguration, keyPath: String, directory: String?) throws(RulesError) -> any BearerTokenReader {
        let claims = source.jwtClaim ?? []
        if source.verify == false {
            return UnverifiedTokenReader(claims: claims)
        }
        let keySource: VerifiedTokenReader.KeySource
        if let secret = source.hs256Secret {
            keySource = .secret(secret.value)
        } else if let file = source.jwksFile {
            let path = Self.resolve(file, directory)
            guard let document = FileManager.default.contents(atPath: path) else {
                throw RulesError(file: "<config>", code: "bad-config", message: "\(keyPath).jwks_file: cannot read \(path); check the path.")
            }
            if let problem = Self.precheck(document, algorithms: source.acceptedAlgorithms) {
                throw RulesError(file: "<config>", code: "bad-config", message: "\(keyPath).jwks_file: \(path) \(problem).")
            }
            keySource = .file(path: path, document: document)
        } else if let text = source.jwksURL, let url = URL(string: text), url.host != nil {
            keySource = .url(
                url, refreshInterval: (source.jwksRefreshInterval ?? .seconds(3600)).duration,
                minRefreshInterval: (source.jwksMinRefreshInterval ?? .seconds(60)).duration)
        } else {
            throw RulesError(file: "<config>", code: "bad-config", message: "\(keyPath): has no usable key source; add `jwks_url`, `jwks_file` or `hs256_secret`.")
        }
        let check = TokenCheck(
            claims: claims, algorithms: Set(source.acceptedAlgorithms), issuers: Set(source.issuer ?? []),
            audiences: Set(source.audience ?? []), leeway: (source.leeway ?? .seconds(60)).seconds)
        let reader = VerifiedTokenReader(name: keyPath, keySource: keySource, check: check, cacheSize: source.cacheSize ?? 10_000)
        verified.append(reader)
        return reader
    }

    /// A sentence when `document` is plainly not a JWKS with a key for `algorithms`; the full
    /// import (jwt-kit) happens when the refresher loads it.
    static func precheck(_ document: Data, algorithms: [String]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: document) as? [String: Any], let keys = object["keys"] as? [[String: Any]] else {
            return "is not a JWKS document (a JSON object with a `keys` array)"
        }
        let types = Set(keys.compactMap { $0["kty"] as? String })
        let wanted: Set<String> = Set(algorithms.map { alg in
            switch alg.prefix(2) {
            case "RS", "PS": "RSA"
            case "ES": "EC"
            case "HS": "oct"
            default: "OKP"
            }
        })
        if types.isDisjoint(with: wanted) {
            return "has keys of type \(types.sorted().joined(separator: ", ")), none for the accepted algorithms \(algorithms.joined(separator: ", "))"
        }
        return nil
    }

    static func resolve(_ path: String, _ directory: String?) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }
}
