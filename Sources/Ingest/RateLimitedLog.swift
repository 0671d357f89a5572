/// Decides when a repeated event (a dropped record, a failed connection) is logged: at most once
/// per `interval`, saying how many were not logged in between. A value type without clocks.
struct RateLimitedLog: Sendable {
    let interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Counts one event; returns the number of events this log line stands for, or `nil` to stay quiet.
    mutating func event(at now: ContinuousClock.Instant) -> Int? {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return nil
        }
        lastLogged = now
        defer { suppressed = 0 }
        return suppressed + 1
    }
}
