import ConfigValues

/// The webhook's delivery as a state machine, without I/O or clock: the caller POSTs when told,
/// reports each attempt's outcome, and waits when told. Tested event by event.
///
/// Attempts are numbered from 1; at most `maxAttempts` are made. After failed attempt `n` (when
/// another is allowed) the wait is `retryDelay × 2^(n-1)`, capped at `maximumDelay`.
public struct WebhookRetry: Sendable, Equatable {
    /// What the caller does next.
    public enum Action: Sendable, Equatable {
        /// POST now; this is attempt `attempt`.
        case post(attempt: Int)
        /// Wait this long, then POST (`attempt`).
        case wait(Duration, thenAttempt: Int)
        /// Delivered on attempt `attempt`: done.
        case delivered(attempt: Int)
        /// Every attempt failed; `lastFailure` says how the last one did.
        case gaveUp(attempts: Int, lastFailure: String)
    }

    private enum State: Sendable, Equatable {
        case idle
        case posting(attempt: Int)
        case waiting(attempt: Int)
        case finished
    }

    let maxAttempts: Int
    let retryDelay: Duration
    let maximumDelay: Duration
    private var state = State.idle

    /// `maxAttempts` below 1 is taken as 1.
    public init(maxAttempts: Int, retryDelay: Duration, maximumDelay: Duration = ReportsConfiguration.maximumDelay.duration) {
        self.maxAttempts = max(1, maxAttempts)
        self.retryDelay = retryDelay
        self.maximumDelay = maximumDelay
    }

    /// The first action: post attempt 1.
    public mutating func start() -> Action {
        precondition(state == .idle, "a delivery starts once")
        state = .posting(attempt: 1)
        return .post(attempt: 1)
    }

    /// The POST of the current attempt succeeded (a 2xx answer).
    public mutating func succeeded() -> Action {
        guard case .posting(let attempt) = state else { preconditionFailure("succeeded() without a POST in flight") }
        state = .finished
        return .delivered(attempt: attempt)
    }

    /// The POST of the current attempt failed (`reason`: a status or an error, redacted).
    public mutating func failed(_ reason: String) -> Action {
        guard case .posting(let attempt) = state else { preconditionFailure("failed(_:) without a POST in flight") }
        guard attempt < maxAttempts else {
            state = .finished
            return .gaveUp(attempts: attempt, lastFailure: reason)
        }
        state = .waiting(attempt: attempt + 1)
        return .wait(delay(after: attempt), thenAttempt: attempt + 1)
    }

    /// The wait is over: post the next attempt.
    public mutating func waited() -> Action {
        guard case .waiting(let attempt) = state else { preconditionFailure("waited() without a wait") }
        state = .posting(attempt: attempt)
        return .post(attempt: attempt)
    }

    /// How long a delivery that never succeeds takes when each POST may take `timeout`: every
    /// attempt's timeout plus the waits between them.
    public func longestDelivery(timeout: Duration) -> Duration {
        var total = timeout * maxAttempts
        for attempt in stride(from: 1, to: maxAttempts, by: 1) { total += delay(after: attempt) }
        return total
    }

    /// `retryDelay × 2^(attempt-1)`, capped; doubling stops at the cap, so it never overflows.
    func delay(after attempt: Int) -> Duration {
        var delay = retryDelay
        for _ in 1..<max(1, attempt) {
            guard delay < maximumDelay else { break }
            delay = delay * 2
        }
        return min(delay, maximumDelay)
    }
}
