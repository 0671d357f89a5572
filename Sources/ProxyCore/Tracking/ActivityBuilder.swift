import Ingest
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the activities and rows of finished tracked requests off the event loops, many at a
/// time, and hands them to the writer.
///
/// Each event loop adds its finished requests (`FinishedActivity`) to its own `LoopActivityRows`;
/// every `interval` the builder takes all that waits, loop by loop, builds each activity (client
/// IP, identity, description, metadata), encodes the rows into one batch and hands them to the
/// writer.
///
/// Measured reason (BENCHMARKS.md, issue 14, fifth measurement): the same code cost 8.2 µs per
/// request between the proxy's own work on an event loop and 3.8 µs in a tight loop; register-only
/// work of the same length costs the loop what it costs alone, so the difference is the caches.
/// Built a hundred at a time, the activity and row code and its data stay warm, and the loops'
/// caches keep the proxy's own work.
///
/// Invariants:
/// - Nothing is lost on the way: when a loop's list is full, its oldest request waited two
///   intervals, or the builder has stopped, the loop builds the rows itself (`LoopActivityRows`).
/// - A loop's waiting requests are built in the order it finished them; a row a loop built itself
///   may reach the writer before older ones (every row carries its own time).
/// - Run it as a `Service` between the writer and the proxy: on graceful shutdown the proxy drains
///   first (its last requests are added), then the builder stops the loops' lists and builds
///   everything that waits, then the writer flushes. On cancellation it does the same at once.
/// - A row reaches the writer at most about two intervals after its response ended, while the
///   builder gets CPU or its loop finishes requests (a loop whose list's oldest request waited two
///   intervals builds the whole list). That adds to what `kill -9` can lose (`Sidecar` keeps it to
///   a tenth of `spool.sync_interval`).
package final class ActivityBuilder: Service, Sendable {
    /// Each event loop's finished requests (`rows(for:)`), taken every `interval`.
    private let rowsByLoop: [ObjectIdentifier: LoopActivityRows]
    private let writer: ActivityWriter
    private let logger: Logger
    /// How often waiting requests are built.
    let interval: Duration

    /// The most bytes of rows one batch gathers before it is handed over.
    static let largestBatchBytes = 1 << 20

    /// A builder for the loops of `group`. `capacity`: the most requests that wait per loop; a
    /// request waits at most two intervals; past either a loop builds in place.
    package init(group: any EventLoopGroup, writer: ActivityWriter, interval: Duration, capacity: Int, logger: Logger) {
        var rowsByLoop: [ObjectIdentifier: LoopActivityRows] = [:]
        for loop in group.makeIterator() {
            rowsByLoop[ObjectIdentifier(loop)] = LoopActivityRows(writer: writer, capacity: capacity, longestWait: interval * 2, logger: logger)
        }
        self.rowsByLoop = rowsByLoop
        self.writer = writer
        self.interval = interval
        self.logger = logger
    }

    /// The finished requests of `eventLoop`; nil for a loop outside the group (an embedded test
    /// loop): its activities are then built one by one.
    func rows(for eventLoop: any EventLoop) -> LoopActivityRows? {
        rowsByLoop[ObjectIdentifier(eventLoop)]
    }

    /// Builds every request that waits now, loop by loop; returns how many there were. `stop`:
    /// the loops build in place from now on.
    @discardableResult
    func buildWaiting(random: inout some RandomNumberGenerator, reuse spare: inout [FinishedActivity], stop: Bool = false) -> Int {
        var count = 0
        for rows in rowsByLoop.values {
            rows.take(into: &spare, stop: stop)
            count += spare.count
            Self.build(spare, writer: writer, logger: logger, random: &random)
            spare.removeAll(keepingCapacity: true)
        }
        return count
    }

    /// Builds `finished` into rows for `writer`, in order (also a loop's way when its list refuses
    /// a request). An activity whose row is invalid is dropped and counted by the writer.
    static func build(
        _ finished: some Collection<FinishedActivity>, writer: ActivityWriter, logger: Logger, random: inout some RandomNumberGenerator
    ) {
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
    /// once), then stops the loops' lists and builds what is left.
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
        var random = ConnectionRandom()
        var rest: [FinishedActivity] = []
        let count = buildWaiting(random: &random, reuse: &rest, stop: true)
        logger.debug("activity builder stopped", metadata: ["tracking.built_at_stop": "\(count)"])
    }
}
