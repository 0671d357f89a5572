import Crypto
import Synchronization

/// Verified tokens by the SHA-256 of their text, so that a user's repeated requests verify once.
///
/// Bounded to `capacity` entries; an entry is dropped when its token expires (`exp` plus leeway).
/// Thread-safe: every event loop shares one cache; the lock is held for a dictionary operation.
///
/// Only accepted tokens are stored, never rejections. An entry exists only for a token whose
/// signature verified, which an attacker cannot mint, so garbage tokens cannot push users' tokens
/// out: filling the cache takes valid tokens. The price is that a rejected token is checked again
/// each time it is sent; most rejections stop before the signature (shape, `alg`, `kid`), and the
/// rest cost one signature verification (`identity-bench`: tens of µs), no more than a first
/// sight of a valid token. Caching rejections instead would let a stream of distinct bad tokens
/// evict every good entry for the price of a parse each.
/// When full, expired entries are swept (at most once a second); if none expired, an arbitrary
/// entry makes room: users' tokens churn at the rate of legitimate sign-ins, not an attacker's.
final class VerifiedTokenCache: Sendable {
    /// Most entries.
    let capacity: Int

    private struct State {
        var entries: [Key: TokenCheck.Accepted] = [:]
        var lastSweep: Double = -.infinity
    }

    private let state = Mutex(State())

    /// An empty cache of at most `capacity` (at least 1) entries.
    init(capacity: Int) {
        precondition(capacity >= 1, "the configuration keeps cache_size positive")
        self.capacity = capacity
    }

    /// A token's SHA-256.
    typealias Key = SHA256Digest

    /// The key of `token`.
    static func key(_ token: [UInt8]) -> Key { SHA256.hash(data: token) }

    /// The accepted token stored under `key`, unless it expired by `now`.
    func lookup(_ key: Key, now: Double) -> TokenCheck.Accepted? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard now <= entry.validUntil else {
                state.entries[key] = nil
                return nil
            }
            return entry
        }
    }

    /// Stores an accepted token, making room when full.
    func store(_ key: Key, _ accepted: TokenCheck.Accepted, now: Double) {
        state.withLock { state in
            if state.entries.count >= capacity, state.entries[key] == nil {
                if now - state.lastSweep >= 1 {
                    state.lastSweep = now
                    state.entries = state.entries.filter { now <= $0.value.validUntil }
                }
                if state.entries.count >= capacity, let any = state.entries.indices.first {
                    state.entries.remove(at: any)
                }
            }
            state.entries[key] = accepted
        }
    }

    /// Entries held now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Forgets every entry (a key set was replaced: a token verified by a key that left the set
    /// must verify again).
    func removeAll() {
        state.withLock { $0.entries.removeAll(keepingCapacity: true) }
    }
}
