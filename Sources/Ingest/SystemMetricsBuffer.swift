/// The system-metric minutes waiting for PostgreSQL, oldest first, at most `capacity` of them.
///
/// A harvest of the minute already last in the buffer adds to it (`SidecarMinute.add`), so a short
/// `system_metrics_interval` still holds one value per minute. While PostgreSQL is down the buffer
/// keeps the last `capacity` minutes; past that the oldest is dropped and counted in `dropped`.
struct SystemMetricsBuffer: Sendable {
    /// Two hours of minutes.
    static let defaultCapacity = 120

    let capacity: Int
    private(set) var minutes: [SidecarMinute] = []
    /// Minutes dropped since start because the buffer was full.
    private(set) var dropped = 0

    init(capacity: Int = Self.defaultCapacity) {
        precondition(capacity > 0, "the buffer holds at least one minute")
        self.capacity = capacity
    }

    /// Adds a harvest: to the last minute when it is the same minute, otherwise as a new one.
    mutating func append(_ harvest: SidecarMinute) {
        if let last = minutes.indices.last, minutes[last].minute == harvest.minute {
            minutes[last].add(harvest)
        } else {
            minutes.append(harvest)
            trim()
        }
    }

    /// Takes every waiting minute (for a write).
    mutating func takeAll() -> [SidecarMinute] {
        defer { minutes = [] }
        return minutes
    }

    /// Puts back minutes a write failed to store, before those harvested meanwhile.
    mutating func putBack(_ failed: [SidecarMinute]) {
        let newer = minutes
        minutes = failed
        for minute in newer { append(minute) }
        trim()
    }

    private mutating func trim() {
        let excess = minutes.count - capacity
        guard excess > 0 else { return }
        minutes.removeFirst(excess)
        dropped += excess
    }
}
