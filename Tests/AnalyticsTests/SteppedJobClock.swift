import Analytics
import Foundation
import Synchronization

/// A scheduler clock a test moves by hand. The scheduler plans from `now` before it first sleeps,
/// so a test must move the time only after `waitUntilTheSchedulerSleeps()`: moving it earlier
/// lets the scheduler plan from the later time and skip the slot the test waits for (the CI flake
/// of 2026-12-02 and -03 on a loaded machine).
final class SteppedJobClock: Sendable {
    private let time: Mutex<Date>
    private let sleeps = Mutex(0)

    init(_ start: Date) { time = Mutex(start) }

    var clock: JobClock {
        JobClock(now: { self.time.withLock { $0 } }, sleep: { _ in
            self.sleeps.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(20))
        })
    }

    /// The number of times the scheduler has slept.
    var sleepCount: Int { sleeps.withLock { $0 } }

    func set(_ date: Date) { time.withLock { $0 = date } }

    /// Waits (up to a minute) until the scheduler has planned and gone to sleep at least once;
    /// returns whether it did.
    func waitUntilTheSchedulerSleeps() async throws -> Bool {
        for _ in 0..<1_200 where sleepCount == 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        return sleepCount > 0
    }
}
