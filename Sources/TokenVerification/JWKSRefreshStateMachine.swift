/// When a JWKS URL is fetched: at start, every `refreshInterval` after a success, with backoff
/// after failures, and early when a token names an unknown `kid` (at most once per
/// `minRefreshInterval`, so that tokens with made-up key ids cannot make the sidecar hammer the
/// provider).
///
/// A value type without I/O: `KeySetRefresher` asks it on every tick whether to fetch and tells it
/// how each fetch ended. The last good key set is never withdrawn here: a failed refresh only
/// changes when the next one happens.
struct JWKSRefreshStateMachine: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// Where the key set stands.
    enum State: Sendable, Equatable {
        /// No key set yet; `failures` fetches failed so far; the next is due at `nextFetch`.
        case loading(failures: Int, nextFetch: Instant)
        /// A key set fetched at `fetchedAt` is in force; the next refresh is due at `nextFetch`.
        case loaded(fetchedAt: Instant, nextFetch: Instant)
        /// The last `failures` refreshes failed; the set fetched at `fetchedAt` stays in force.
        case failed(failures: Int, fetchedAt: Instant, nextFetch: Instant)
    }

    private(set) var state: State
    /// When the last fetch started, for the unknown-`kid` rate limit.
    private(set) var lastFetchStarted: Instant?
    /// An unknown `kid` was seen too soon after a fetch: fetch as soon as the rate limit allows.
    private(set) var unknownKidPending = false

    let refreshInterval: Duration
    let minRefreshInterval: Duration
    /// The first backoff; doubles per failure up to `maximumBackoff`.
    let initialBackoff: Duration
    let maximumBackoff: Duration

    /// A machine whose first fetch is due at `now`.
    init(now: Instant, refreshInterval: Duration, minRefreshInterval: Duration, initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(300)) {
        state = .loading(failures: 0, nextFetch: now)
        self.refreshInterval = refreshInterval
        self.minRefreshInterval = minRefreshInterval
        self.initialBackoff = initialBackoff
        self.maximumBackoff = min(maximumBackoff, refreshInterval)
    }

    /// Whether a key set was ever fetched.
    var hasKeys: Bool {
        if case .loading = state { return false }
        return true
    }

    /// When the next scheduled fetch is due.
    var nextFetch: Instant {
        switch state {
        case .loading(_, let next), .loaded(_, let next), .failed(_, _, let next): next
        }
    }

    /// Called on every tick; `unknownKid` tells whether a token named a key id the set lacks since
    /// the last tick. Returns true when a fetch must start now (the caller then reports its end).
    mutating func tick(now: Instant, unknownKid: Bool) -> Bool {
        // Before the first set loaded every token is `no_keys`, and the backoff schedule rules.
        if unknownKid, hasKeys { unknownKidPending = true }
        var due = now >= nextFetch
        if unknownKidPending {
            due = due || lastFetchStarted.map { now >= $0 + minRefreshInterval } ?? true
        }
        if due {
            lastFetchStarted = now
            unknownKidPending = false
        }
        return due
    }

    /// A fetch ended with a new key set published.
    mutating func fetchSucceeded(now: Instant) {
        state = .loaded(fetchedAt: now, nextFetch: now + refreshInterval)
    }

    /// A fetch failed; the previous key set, if any, stays in force.
    mutating func fetchFailed(now: Instant) {
        switch state {
        case .loading(let failures, _):
            state = .loading(failures: failures + 1, nextFetch: now + backoff(failures: failures + 1))
        case .loaded(let fetchedAt, _):
            state = .failed(failures: 1, fetchedAt: fetchedAt, nextFetch: now + backoff(failures: 1))
        case .failed(let failures, let fetchedAt, _):
            state = .failed(failures: failures + 1, fetchedAt: fetchedAt, nextFetch: now + backoff(failures: failures + 1))
        }
    }

    /// `initialBackoff · 2^(failures-1)`, at most `maximumBackoff`.
    func backoff(failures: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, min(failures, 32)) {
            delay *= 2
            if delay >= maximumBackoff { return maximumBackoff }
        }
        return min(delay, maximumBackoff)
    }
}
