import Ingest
import Logging
import NIOCore

/// The tracked requests one event loop finished during its current turn, handed to the
/// `ActivityBuilder` in one step by a task the loop runs after the turn's I/O; when the builder
/// refuses them (full or stopped), their rows are built here and handed to the writer as one batch
/// (`ActivityRowBatch`). A request's row leaves the loop at most at the end of the turn that
/// finished it.
///
/// Shutdown: a hand-off task scheduled on a loop runs even while the loop shuts down, and the
/// proxy's shutdown runs a task on every loop (closing the upstream pools) after the connections
/// drained, so the last turns' requests reach the builder (or, once it stopped, the writer) before
/// the writer flushes; a row handed over after the writer stopped is dropped and counted (reason
/// `stopped`).
///
/// Measured reason (`tracking-bench`, BENCHMARKS.md): a lock per request cost the event loop more
/// than building its row; a turn of a busy loop finishes several tracked requests.
///
/// Threading: not `Sendable`; used on its loop only (`ActivityRowsByLoop` keeps it in a
/// `NIOLoopBoundBox`, the hand-off task reaches it through `NIOLoopBound`).
package final class LoopActivityRows {
    private var finished: [FinishedActivity] = []
    private var handOffScheduled = false
    private let builder: ActivityBuilder
    private let writer: ActivityWriter
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// For the row ids of rows built here (the builder refused).
    private var random = ConnectionRandom()

    init(builder: ActivityBuilder, writer: ActivityWriter, eventLoop: any EventLoop, logger: Logger) {
        self.builder = builder
        self.writer = writer
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// The most requests a turn gathers before handing them over at once.
    static let largestTurn = 1024

    /// Adds a finished request and makes sure a hand-off follows this turn.
    func add(_ value: FinishedActivity) {
        eventLoop.assertInEventLoop()
        finished.append(value)
        if finished.count >= Self.largestTurn {
            handOff()
            return
        }
        guard !handOffScheduled else { return }
        handOffScheduled = true
        let rows = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute {
            rows.value.handOffScheduled = false
            rows.value.handOff()
        }
    }

    /// Hands the turn's requests to the builder, or builds their rows here when it refuses.
    private func handOff() {
        guard !finished.isEmpty, !builder.accept(&finished) else { return }
        ActivityBuilder.build(finished, writer: writer, logger: logger, random: &random)
        finished.removeAll(keepingCapacity: true)
    }
}

/// One `LoopActivityRows` per event loop of the proxy's group, made on first use on its loop.
/// A connection's handler looks its loop's rows up once, when the connection opens.
final class ActivityRowsByLoop: Sendable {
    private let byLoop: [ObjectIdentifier: NIOLoopBoundBox<LoopActivityRows?>]
    let builder: ActivityBuilder
    private let writer: ActivityWriter
    private let logger: Logger

    init(group: any EventLoopGroup, builder: ActivityBuilder, writer: ActivityWriter, logger: Logger) {
        var byLoop: [ObjectIdentifier: NIOLoopBoundBox<LoopActivityRows?>] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeEmptyBox(valueType: LoopActivityRows.self, eventLoop: loop)
        }
        self.byLoop = byLoop
        self.builder = builder
        self.writer = writer
        self.logger = logger
    }

    /// The rows of `eventLoop`; call on that loop. Nil for a loop outside the group (an embedded
    /// test loop): its rows are then handed over one by one.
    func rows(for eventLoop: any EventLoop) -> LoopActivityRows? {
        guard let box = byLoop[ObjectIdentifier(eventLoop)] else { return nil }
        if let rows = box.value { return rows }
        let rows = LoopActivityRows(builder: builder, writer: writer, eventLoop: eventLoop, logger: logger)
        box.value = rows
        return rows
    }
}
