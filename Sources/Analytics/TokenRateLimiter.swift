import Synchronization

/// The API's per-token rate limits: one `TokenBucket` per configured token that has a limit
/// (`AnalyticsConfiguration.limit(of:)`), keyed by the token's position in the configuration, so
/// memory is bounded by the configuration, never by what clients send (an unknown token is 401
/// before it gets here).
///
/// Thread-safe: requests of every connection take from the buckets under one lock, held for a few
/// arithmetic operations.
final class TokenRateLimiter: Sendable {
    private let limits: [RateLimit?]
    private let buckets: Mutex<[Int: TokenBucket]>
    private let clock: @Sendable () -> Double

    /// - Parameter clock: seconds on a monotonic clock; tests pass their own.
    init(configuration: AnalyticsConfiguration, clock: @escaping @Sendable () -> Double = TokenRateLimiter.monotonicSeconds) {
        limits = configuration.allTokens.map { configuration.limit(of: $0) }
        buckets = Mutex([:])
        self.clock = clock
    }

    /// Takes one request of the token at `index`: nil when it may go ahead (or has no limit), else
    /// the seconds to wait.
    func take(tokenIndex index: Int) -> Int? {
        guard limits.indices.contains(index), let limit = limits[index] else { return nil }
        let now = clock()
        return buckets.withLock { buckets in
            var bucket = buckets[index] ?? TokenBucket(limit, now: now)
            let wait = bucket.take(now: now)
            buckets[index] = bucket
            return wait
        }
    }

    private static let origin = ContinuousClock.now

    /// Seconds since the first use, on the monotonic clock.
    @Sendable static func monotonicSeconds() -> Double {
        let elapsed = origin.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }
}
