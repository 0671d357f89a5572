/// A token bucket: holds at most `burst` requests, refilled at `rate` per second; a request takes
/// one. Pure: the caller gives the time, so tests drive it without a clock.
///
/// Invariant: `0 <= available <= burst`.
struct TokenBucket: Sendable, Equatable {
    let rate: Double
    let burst: Double
    private(set) var available: Double
    private(set) var updatedAt: Double

    /// A full bucket at `now` (seconds on any monotonic clock).
    init(_ limit: RateLimit, now: Double) {
        rate = limit.requestsPerSecond
        burst = Double(limit.burst)
        available = burst
        updatedAt = now
    }

    /// Takes one request at `now`: nil when it may go ahead, else the whole seconds (at least 1)
    /// after which one will be available, for `Retry-After`.
    mutating func take(now: Double) -> Int? {
        if now > updatedAt {
            available = min(burst, available + (now - updatedAt) * rate)
            updatedAt = now
        }
        if available >= 1 {
            available -= 1
            return nil
        }
        // rate > 0 (a limit of 0 is no limit, and has no bucket); the wait is at most 1/rate.
        let wait = ((1 - available) / rate).rounded(.up)
        return wait.isFinite ? max(1, Int(min(wait, 86_400))) : 86_400
    }
}
