import Ingest
import Logging
import NIOCore

/// The activity rows one event loop recorded during its current turn: encoded into one buffer
/// (`ActivityRowBatch`) and handed to the writer in one step by a task the loop runs after the
/// turn's I/O. A request's row waits at most until the end of the turn that finished it.
///
/// Shutdown: a hand-off task scheduled on a loop runs even while the loop shuts down, and the
/// proxy's shutdown runs a task on every loop (closing the upstream pools) after the connections
/// drained, so the last turns' rows reach the writer before it flushes; a row handed over after
/// the writer stopped is dropped and counted (reason `stopped`).
///
/// Measured reason (`tracking-bench`, BENCHMARKS.md): a buffer and a lock per row cost the event
/// loop more than encoding the row.
///
/// Threading: not `Sendable`; used on its loop only (`ActivityRowsByLoop` keeps it in a
/// `NIOLoopBoundBox`, the hand-off task reaches it through `NIOLoopBound`).
package final class LoopActivityRows {
    private var batch = ActivityRowBatch()
    private var handOffScheduled = false
    private let writer: ActivityWriter
    private let eventLoop: any EventLoop
    private let logger: Logger

    init(writer: ActivityWriter, eventLoop: any EventLoop, logger: Logger) {
        self.writer = writer
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// The most bytes of rows a turn gathers before handing them over at once: bounds the buffer
    /// (a row may hold up to `ActivityRecord.maximumTextBytes`) and what one buffer keeps alive.
    static let largestBatchBytes = 1 << 20

    /// Adds an activity's row (validated and encoded now; an invalid one is dropped and counted
    /// by the writer) and makes sure a hand-off follows this turn.
    func add(_ envelope: ActivityEnvelope) {
        eventLoop.assertInEventLoop()
        logger.debug("activity", metadata: envelope.logMetadata)
        writer.encode(envelope.rowValues, into: &batch)
        if batch.byteCount >= Self.largestBatchBytes {
            writer.record(&batch)
            return
        }
        guard !handOffScheduled, !batch.isEmpty else { return }
        handOffScheduled = true
        let rows = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute { rows.value.handOff() }
    }

    /// Hands the turn's rows to the writer.
    private func handOff() {
        handOffScheduled = false
        writer.record(&batch)
    }
}

/// One `LoopActivityRows` per event loop of the proxy's group, made on first use on its loop.
/// A connection's handler looks its loop's rows up once, when the connection opens.
final class ActivityRowsByLoop: Sendable {
    private let byLoop: [ObjectIdentifier: NIOLoopBoundBox<LoopActivityRows?>]
    private let writer: ActivityWriter
    private let logger: Logger

    init(group: any EventLoopGroup, writer: ActivityWriter, logger: Logger) {
        var byLoop: [ObjectIdentifier: NIOLoopBoundBox<LoopActivityRows?>] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeEmptyBox(valueType: LoopActivityRows.self, eventLoop: loop)
        }
        self.byLoop = byLoop
        self.writer = writer
        self.logger = logger
    }

    /// The rows of `eventLoop`; call on that loop. Nil for a loop outside the group (an embedded
    /// test loop): its rows are then handed over one by one.
    func rows(for eventLoop: any EventLoop) -> LoopActivityRows? {
        guard let box = byLoop[ObjectIdentifier(eventLoop)] else { return nil }
        if let rows = box.value { return rows }
        let rows = LoopActivityRows(writer: writer, eventLoop: eventLoop, logger: logger)
        box.value = rows
        return rows
    }
}
