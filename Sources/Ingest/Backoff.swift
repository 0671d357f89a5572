/// Exponential backoff with jitter between reconnection attempts.
///
/// A value type without I/O or clocks: the caller asks for the next delay and sleeps.
/// Invariant: every delay is in `initial/2 ... max`, and the ceiling doubles per failure up to `max`.
struct Backoff: Sendable, Equatable {
    let initial: Duration
    let maximum: Duration
    /// Failures since the last success.
    private(set) var failures = 0

    init(initial: Duration, maximum: Duration) {
        precondition(initial > .zero && maximum >= initial, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
    }

    /// The ceiling for the next delay: `initial * 2^failures`, at most `maximum`.
    var ceiling: Duration {
        let exponent = min(failures, 30)
        let doubled = initial * (1 << exponent)
        return min(doubled, maximum)
    }

    /// Records a failure and returns how long to wait: "equal jitter", half the ceiling plus a
    /// random part of the other half, so sidecars that failed together do not retry together.
    mutating func nextDelay(using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = self.ceiling
        failures += 1
        let half = ceiling / 2
        let jitterNanoseconds = Int64.random(in: 0...max(0, nanoseconds(half)), using: &generator)
        return half + .nanoseconds(jitterNanoseconds)
    }

    /// Records a success: the next failure starts from `initial` again.
    mutating func reset() {
        failures = 0
    }

    private func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
