import Ingest
import Logging
import NIOCore
import Synchronization

/// The tracked requests one event loop finished since the `ActivityBuilder` last took them.
///
/// The loop adds each finished request under this object's own lock (one loop adds, the builder
/// takes every interval, so the lock is almost never contended) and goes on; nothing is scheduled
/// on the loop. When the list refuses a request (the builder stopped, `capacity` requests wait, or
/// the oldest waited longer than `longestWait`: the builder is starved of CPU), the loop builds the
/// rows of all that wait and of this one at once and hands them to the writer, so nothing waits
/// longer than `longestWait` while the loop adds requests, and nothing is lost.
///
/// Measured reason (BENCHMARKS.md, issue 14, fifth measurement): a task scheduled per loop turn to
/// hand the turn's requests over cost the loop more than a lock per request.
package final class LoopActivityRows: Sendable {
    private struct Waiting {
        var finished: [FinishedActivity] = []
        /// When the oldest of `finished` was added.
        var since: ContinuousClock.Instant?
        var stopped = false
    }

    private let waiting = Mutex(Waiting())
    private let writer: ActivityWriter
    private let logger: Logger
    /// The most requests that wait; past it the loop builds in place (bounds the memory a stalled
    /// builder holds: a request keeps its header fields, ~1 KB).
    let capacity: Int
    /// How long the oldest request may wait; past it the loop builds in place, so a row's time in
    /// memory stays bounded for `kill -9`.
    let longestWait: Duration

    init(writer: ActivityWriter, capacity: Int, longestWait: Duration, logger: Logger) {
        self.writer = writer
        self.capacity = capacity
        self.longestWait = longestWait
        self.logger = logger
    }

    /// Adds a finished request for the builder. When the list refuses it, the loop builds now, in
    /// order, every request that waits and this one: a builder that falls behind (or stopped)
    /// leaves nothing waiting longer than `longestWait`.
    func add(_ value: FinishedActivity, random: inout some RandomNumberGenerator) {
        let now = ContinuousClock.now
        let longestWait = longestWait
        let capacity = capacity
        var refused: [FinishedActivity] = []
        waiting.withLock { waiting in
            if !waiting.stopped, waiting.finished.count < capacity, (waiting.since.map { now - $0 } ?? .zero) <= longestWait {
                if waiting.finished.isEmpty { waiting.since = now }
                waiting.finished.append(value)
                return
            }
            swap(&waiting.finished, &refused)
            waiting.since = nil
            refused.append(value)
        }
        ActivityBuilder.build(refused, writer: writer, logger: logger, random: &random)
    }

    /// Swaps what waits into `taken` (empty before); when `stop`, refuses everything from now on.
    func take(into taken: inout [FinishedActivity], stop: Bool = false) {
        waiting.withLock { waiting in
            swap(&waiting.finished, &taken)
            waiting.since = nil
            if stop { waiting.stopped = true }
        }
    }
}
