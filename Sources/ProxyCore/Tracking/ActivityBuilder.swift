import Ingest
import Logging
import ServiceLifecycle
import Synchronization

/// Builds the activities and rows of finished tracked requests off the event loops, many at a
/// time, and hands them to the writer.
///
/// The event loops hand it their turn's `FinishedActivity` values in one step (`accept`); every
/// `interval` it takes all that waits, builds each activity (client IP, identity, description,
/// metadata), encodes the rows into one batch and hands them to the writer.
///
/// Measured reason (BENCHMARKS.md, issue 14, fifth measurement): the same code cost 8.2 µs per
/// request between the proxy's own work on an event loop and 3.8 µs in a tight loop; register-only
/// work of the same length costs the loop what it costs alone, so the difference is the caches.
/// Built a hundred at a time, the activity and row code and its data stay warm, and the loops'
/// caches keep the proxy's own work.
///
/// Invariants:
/// - Nothing is lost on the way: when the builder is full (`capacity` values wait) or has stopped,
///   `accept` refuses and the loop builds the rows itself, as it did before the builder existed.
/// - Order is kept: values are built in the order they were accepted.
/// - Run it as a `Service` between the writer and the proxy: on graceful shutdown the proxy drains
///   first (its last turns' values are accepted), then the builder builds everything that waits
///   and stops accepting, then the writer flushes. On cancellation it builds what waits at once.
/// - A row reaches the writer at most about `longestWait` (two intervals) later than the loop
///   would have handed it over: past that the loops build in place. That adds to what `kill -9`
///   can lose (`Sidecar` keeps it to a tenth of `spool.sync_interval`).
package final class ActivityBuilder: Service, Sendable {
    private struct Waiting {
        var finished: [FinishedActivity] = []
        /// When the oldest of `finished` was accepted.
        var since: ContinuousClock.Instant?
        var stopped = false
    }

    private let waiting = Mutex(Waiting())
    private let writer: ActivityWriter
    private let logger: Logger
    /// How often waiting values are built.
    let interval: Duration
    /// The most values that wait; past it the loops build in place (bounds the memory a stalled
    /// builder holds: a value keeps its request's header fields, ~1 KB).
    let capacity: Int
    /// How long the oldest value may wait; past it (the builder is starved of CPU) the loops build
    /// in place, so a row's time in memory stays bounded for `kill -9`.
    var longestWait: Duration { interval * 2 }

    /// The most bytes of rows one batch gathers before it is handed over (as a loop's batch).
    static let largestBatchBytes = 1 << 20

    package init(writer: ActivityWriter, interval: Duration, capacity: Int, logger: Logger) {
        self.writer = writer
        self.interval = interval
        self.capacity = capacity
        self.logger = logger
    }

    /// Takes `finished` (empty afterwards) unless the builder has stopped, would hold more than
    /// `capacity`, or has let a value wait longer than `longestWait`; returns false then, and
    /// `finished` is as it was: the caller builds the rows.
    func accept(_ finished: inout [FinishedActivity]) -> Bool {
        let now = ContinuousClock.now
        let longestWait = longestWait
        return waiting.withLock { waiting in
            guard !waiting.stopped, waiting.finished.count + finished.count <= capacity, (waiting.since.map { now - $0 } ?? .zero) <= longestWait
            else { return false }
            if waiting.finished.isEmpty {
                waiting.since = now
                // The builder's emptied array goes back to the loop: its capacity is reused.
                swap(&waiting.finished, &finished)
            } else {
                waiting.finished.append(contentsOf: finished)
                finished.removeAll(keepingCapacity: true)
            }
            return true
        }
    }

    /// Builds every value that waits now; returns how many there were.
    @discardableResult
    func buildWaiting(random: inout ConnectionRandom, reuse spare: inout [FinishedActivity]) -> Int {
        waiting.withLock { waiting in
            swap(&waiting.finished, &spare)
            waiting.since = nil
        }
        let count = spare.count
        Self.build(spare, writer: writer, logger: logger, random: &random)
        spare.removeAll(keepingCapacity: true)
        return count
    }

    /// Builds `finished` into rows for `writer`, in order (also the loops' way when the builder
    /// refuses). An activity whose row is invalid is dropped and counted by the writer.
    static func build(_ finished: [FinishedActivity], writer: ActivityWriter, logger: Logger, random: inout some RandomNumberGenerator) {
        guard !finished.isEmpty else { return }
        var batch = ActivityRowBatch()
        for value in finished {
            guard let envelope = value.envelope(random: &random) else { continue }
            logger.debug("activity", metadata: envelope.logMetadata)
            writer.encode(envelope.rowValues, into: &batch)
            if batch.byteCount >= largestBatchBytes { writer.record(&batch) }
        }
        writer.record(&batch)
    }

    /// Builds every `interval` until graceful shutdown or cancellation (either ends the wait at
    /// once), then stops accepting and builds what is left.
    package func run() async {
        await withTaskGroup(of: Void.self) { ticks in
            ticks.addTask {
                var random = ConnectionRandom()
                var spare: [FinishedActivity] = []
                // Cancelled (shutdown): what waits is built below, once nothing more is accepted.
                while (try? await Task.sleep(for: self.interval)) != nil {
                    self.buildWaiting(random: &random, reuse: &spare)
                }
            }
            try? await gracefulShutdown()
            ticks.cancelAll()
        }
        let rest = waiting.withLock { waiting in
            waiting.stopped = true
            defer { waiting.finished = [] }
            return waiting.finished
        }
        var random = ConnectionRandom()
        Self.build(rest, writer: writer, logger: logger, random: &random)
        logger.debug("activity builder stopped", metadata: ["tracking.built_at_stop": "\(rest.count)"])
    }
}
