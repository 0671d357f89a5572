import ActivityRules
import Foundation
import Metrics
import Synchronization

/// The reader of a verified `jwt_claim` source: checks the bearer token with the source's keys and
/// claims (`TokenCheck`) and returns its claim, remembering accepted tokens (`VerifiedTokenCache`).
///
/// Threading: `userID(bearerToken:)` runs on event loops, concurrently; it takes two short locks
/// (the key set reference, the cache) and, on a cache miss, verifies one signature. The key set is
/// an immutable value replaced whole by `publish` (from `KeySetRefresher`), so a verification sees
/// either the old set or the new one. Until a set is published the source yields nothing
/// (`no_keys`), and `/readyz` says so.
public final class VerifiedTokenReader: BearerTokenReader {
    /// Where this source's keys come from.
    enum KeySource: Sendable {
        case secret(String)
        /// A JWKS document read from `path` when the policy was built.
        case file(path: String, document: Data)
        case url(URL, refreshInterval: Duration, minRefreshInterval: Duration)
    }

    /// The source's key path, e.g. `tracking.identity.sources[0]`.
    public let name: String
    let keySource: KeySource
    let check: TokenCheck
    let cache: VerifiedTokenCache

    private let keys = Mutex<KeySet?>(nil)
    private let status: Mutex<KeySetStatus>
    /// Set when a token named an unknown `kid`; the refresher takes it.
    private let unknownKidSeen = Atomic<Bool>(false)
    private let loadedGauge: Gauge

    init(name: String, keySource: KeySource, check: TokenCheck, cacheSize: Int) {
        self.name = name
        self.keySource = keySource
        self.check = check
        cache = VerifiedTokenCache(capacity: cacheSize)
        status = Mutex(KeySetStatus(source: name, origin: keySource.origin, phase: .loading, keys: 0, failures: 0, cachedTokens: 0))
        loadedGauge = Gauge(label: "trackingproxy_identity_keys_loaded", dimensions: [("source", name)])
        loadedGauge.record(0)
    }

    /// See `BearerTokenReader`.
    public func userID(bearerToken: Substring) -> String? {
        let token = Array(bearerToken.utf8)
        let now = Date().timeIntervalSince1970
        let key = VerifiedTokenCache.key(token)
        if let accepted = cache.lookup(key, now: now) { return accepted.userID }
        guard let keySet = keys.withLock({ $0 }) else {
            TokenRejection.noKeys.count()
            return nil
        }
        switch check.check(token, keys: keySet, now: now) {
        case .success(let accepted):
            cache.store(key, accepted, now: now)
            return accepted.userID
        case .failure(let rejection):
            if rejection == .unknownKid { unknownKidSeen.store(true, ordering: .relaxed) }
            rejection.count()
            return nil
        }
    }

    /// Puts `keySet` in force. Remembered tokens are forgotten when a key id left the set, so a
    /// token signed by a withdrawn key verifies again (and fails).
    func publish(_ keySet: KeySet) {
        let previous = keys.withLock { current in
            defer { current = keySet }
            return current
        }
        if let previous, !Set(previous.keysByID.keys).isSubset(of: keySet.keysByID.keys) || previous.anonymous.count > keySet.anonymous.count {
            cache.removeAll()
        }
        status.withLock { status in
            status.phase = .loaded
            status.keys = keySet.count
            status.loadedAt = Date()
            status.failures = 0
            status.lastError = nil
        }
        loadedGauge.record(1)
    }

    /// Records a failed load; the key set in force, if any, stays.
    func loadFailed(_ message: String) {
        status.withLock { status in
            status.failures += 1
            status.lastError = message
            status.phase = status.keys > 0 ? .failed : .loading
        }
    }

    /// Takes (and clears) the unknown-`kid` flag.
    func takeUnknownKid() -> Bool {
        unknownKidSeen.exchange(false, ordering: .relaxed)
    }

    /// The key set's status now.
    public var keySetStatus: KeySetStatus {
        var current = status.withLock { $0 }
        current.cachedTokens = cache.count
        return current
    }
}

extension VerifiedTokenReader.KeySource {
    /// How `/status` names it (a URL whole: JWKS URLs carry no secrets; never the secret).
    var origin: String {
        switch self {
        case .secret: "hs256_secret"
        case .file(let path, _): "jwks_file \(path)"
        case .url(let url, _, _): "jwks_url \(url.absoluteString)"
        }
    }
}
