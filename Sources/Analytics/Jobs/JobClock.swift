import Foundation

/// The scheduler's wall clock: what time it is, and a way to wait. The system clock by default;
/// a test gives one whose `now` it sets ("Sunday 03:00") and whose `sleep` is short.
public struct JobClock: Sendable {
    /// The current time.
    public var now: @Sendable () -> Date
    /// Waits about `duration` (may return early); throws when cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// `Date()` and `Task.sleep`.
    public static let system = JobClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
