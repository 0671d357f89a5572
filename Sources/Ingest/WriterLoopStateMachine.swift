/// The writer's database loop as a value: connecting, backing off, live, replaying the spool,
/// draining at shutdown, stopped. Each event (what the last action came to, or a shutdown) moves
/// it to its next state and returns the one action to perform next; it does no I/O, reads no
/// clock and owns no connection it could close (`Connection` is whatever the loop uses: the real
/// loop's live connection, a number in the tests).
///
/// The loop (`ActivityWriter.runDatabaseLoop`) performs one action at a time and reports its
/// outcome as the next event. Before each action it checks for graceful shutdown and
/// cancellation, and reports the first of each once; the action that event returns replaces the
/// one pending.
///
/// Invariants:
/// - Each state determines the action pending in it, and every pending action may be dropped for
///   the one a shutdown returns, except `close`, which shutdown and cancellation return again: a
///   connection is never left open, and an interrupted replay is always given back to the spool.
/// - A spool segment is deleted only by the `writeReplay` action that writes its last records
///   (`completing`), and only after they are committed; segments are replayed oldest first, one
///   at a time, in order within a segment.
/// - While live, replay chunks and queue batches alternate, so the queue keeps moving during a
///   long replay; the loop sleeps only when neither had work.
/// - Reconnection delays follow `Backoff`: the ceiling doubles per failure up to `maxBackoff`
///   and starts again from `initialBackoff` after a connection succeeds.
/// - Migrations run on the first successful connection when `migrateOnStart`, and again after a
///   statement error (a table dropped behind the writer's back).
/// - A heartbeat is published on a new connection at once, then every `heartbeatInterval` while
///   live; one that fails for any reason but a lost connection changes nothing else.
/// - Draining writes the queue until it is empty, the flush deadline passed or a write failed,
///   then closes; a drain is never followed by a reconnection.
///
/// Not thread-safe: owned and driven by the loop's task alone.
struct WriterLoopStateMachine<Connection: Sendable>: Sendable {
    typealias Failure = DatabaseFailure

    /// The fixed inputs, from `IngestConfiguration`.
    struct Configuration: Sendable, Equatable {
        var initialBackoff: Duration
        var maxBackoff: Duration
        /// Run the migrations on the first connection (`database.migrate_on_start`).
        var migrateOnStart: Bool
        /// The most records in one replay chunk (`batch.max_size`).
        var replayChunk: Int
        /// How long the loop sleeps when it had nothing to do.
        var idleTick: Duration
        /// How long draining may write (`shutdown_flush_timeout`).
        var flushTimeout: Duration
        /// Between two heartbeats on a live connection (`heartbeat_interval`).
        var heartbeatInterval: Duration
        /// Between two deletions of other instances' stale heartbeat rows.
        var pruneInterval: Duration = .seconds(3_600)
    }

    enum State: Sendable {
        /// Pending: `connect`. `attempt` counts from 1 since the last successful connection.
        case connecting(attempt: Int)
        /// Pending: `waitToReconnect`, then `sleep` until `until`.
        case backingOff(until: ContinuousClock.Instant, attempt: Int)
        /// Connected, no segment being replayed. Pending: by `live.step`.
        case live(Live)
        /// Connected, replaying a spool segment. Pending: by `live.step`.
        case replaying(Live, Replay)
        /// Shutdown requested while connected. Pending: `writeBatch(force: true)`.
        case draining(Draining)
        /// Pending: `close`; then what `closing.then` says.
        case closing(Closing)
        /// Pending: `finish`.
        case stopped
    }

    /// A live connection and where the loop is in its turn.
    struct Live: Sendable {
        var connection: Connection
        /// When the next heartbeat is due.
        var heartbeatDue: ContinuousClock.Instant
        var step: Step
    }

    /// The step pending on a live connection.
    enum Step: Sendable, Equatable {
        case publishingHeartbeat
        /// Only in `live`: asking the spool for its oldest segment.
        case startingReplay
        /// Only in `replaying`: writing the next chunk.
        case writingReplay
        /// Taking a due batch from the queue; `didWork`: something was written this turn.
        case writingBatch(didWork: Bool)
        /// Only in `live`: sleeping one tick.
        case idle

        /// A write is pending: its failure closes the connection.
        var isWriting: Bool {
            switch self {
            case .writingReplay, .writingBatch: true
            case .publishingHeartbeat, .startingReplay, .idle: false
            }
        }
    }

    /// A spool segment being replayed: its records and how many are committed.
    struct Replay: Sendable {
        var segment: UInt64
        var records: [ActivityRecord]
        var offset = 0
    }

    /// Shutdown while connected: the queue is written until `deadline`.
    struct Draining: Sendable {
        var connection: Connection
        var deadline: ContinuousClock.Instant
        /// A replay was interrupted: its segment goes back to the spool when the connection closes.
        var abandonReplay: Bool
        var flushedRows = 0
    }

    /// A connection being closed, and what comes after.
    struct Closing: Sendable {
        var connection: Connection
        var abandonReplay: Bool
        var reason: CloseReason
        var then: AfterClose
    }

    enum AfterClose: Sendable, Equatable {
        case reconnect(Failure)
        case stop
    }

    /// Why a connection is closed, for the log.
    enum CloseReason: Sendable, Equatable {
        /// A write or heartbeat lost the connection, or a statement failed.
        case failed(Failure)
        /// Draining ended: the queue was empty (`complete`) or the deadline passed.
        case drained(rows: Int, complete: Bool)
        /// A write failed while draining: the rest of the queue goes to the spool.
        case drainFailed(Failure, rows: Int)
        /// Shutdown while no drain was possible (`shutdown_flush_timeout` 0), or cancellation.
        case stopped
    }

    /// What the loop does next. Each names the event that reports its outcome.
    enum Action: Sendable {
        /// Open a connection, running the migrations first when `migrate`; set up the session.
        /// Report `connected` or `connectFailed`.
        case connect(migrate: Bool)
        /// PostgreSQL is unreachable: say so in the status (the spool pump then takes the whole
        /// queue), log at a limited rate, count a retry, and sleep until `until`. Report `woke`.
        case waitToReconnect(Failure, delay: Duration, until: ContinuousClock.Instant)
        /// Sleep until `until`, or until shutdown or cancellation. Report `woke`.
        case sleep(until: ContinuousClock.Instant)
        /// Publish this instance's heartbeat row; when `pruneStale`, also delete other instances'
        /// rows not heard from in a long time. Report `heartbeatPublished` or `heartbeatFailed`.
        case publishHeartbeat(Connection, pruneStale: Bool)
        /// Ask the spool for its oldest segment. Report `replayStarted` or `noSegmentToReplay`.
        case startReplay(Connection)
        /// Write these replayed records with synchronous commit; when `completing` names their
        /// segment, they are its last: delete it once they are committed. Report `replayWritten`
        /// or `writeFailed`.
        case writeReplay(Connection, records: ArraySlice<ActivityRecord>, completing: UInt64?)
        /// Take a batch from the queue, one that is due or (`force`) any, and write it; a batch
        /// that fails goes to the spool. Report `batchWritten`, `queueIdle` or `writeFailed`.
        case writeBatch(Connection, force: Bool)
        /// Close the connection; when `abandonReplay`, give the segment being replayed back to
        /// the spool. Report `closed`.
        case close(Connection, abandonReplay: Bool, reason: CloseReason)
        /// The loop is over: return.
        case finish
    }

    let configuration: Configuration
    private(set) var state: State
    private(set) var backoff: Backoff
    /// The migrations ran on a connection (or are not wanted).
    private(set) var migrated: Bool
    /// When other instances' stale heartbeat rows are next deleted.
    private var pruneDue: ContinuousClock.Instant?

    init(configuration: Configuration) {
        self.configuration = configuration
        let initial = max(.milliseconds(1), configuration.initialBackoff)
        self.backoff = Backoff(initial: initial, maximum: max(initial, configuration.maxBackoff))
        self.migrated = !configuration.migrateOnStart
        self.state = .connecting(attempt: 1)
    }

    /// The first action: connect.
    func start() -> Action {
        guard case .connecting = state else { preconditionFailure("start() only once, first: \(state)") }
        return .connect(migrate: !migrated)
    }

    // MARK: Connecting and backing off

    mutating func connected(_ connection: Connection, now: ContinuousClock.Instant) -> Action {
        guard case .connecting = state else { preconditionFailure("connected in \(state)") }
        migrated = true
        backoff.reset()
        return nextTurn(Live(connection: connection, heartbeatDue: now, step: .publishingHeartbeat), replay: nil, now: now)
    }

    mutating func connectFailed(_ failure: Failure, now: ContinuousClock.Instant, random: inout some RandomNumberGenerator) -> Action {
        guard case .connecting = state else { preconditionFailure("connectFailed in \(state)") }
        return backOff(after: failure, now: now, random: &random)
    }

    /// A `sleep` or `waitToReconnect` ended.
    mutating func woke(now: ContinuousClock.Instant) -> Action {
        switch state {
        case .backingOff(let until, let attempt):
            guard now >= until else { return .sleep(until: until) }
            state = .connecting(attempt: attempt)
            return .connect(migrate: !migrated)
        case .live(let live) where live.step == .idle:
            return nextTurn(live, replay: nil, now: now)
        default:
            preconditionFailure("woke in \(state)")
        }
    }

    // MARK: Live

    mutating func heartbeatPublished(now: ContinuousClock.Instant) -> Action {
        guard case let (live, replay)? = liveState(at: .publishingHeartbeat) else { preconditionFailure("heartbeatPublished in \(state)") }
        return afterHeartbeat(live, replay: replay, now: now)
    }

    /// A heartbeat that lost the connection is a lost connection; any other failure (the table
    /// missing, a permission) only waits for the next one.
    mutating func heartbeatFailed(_ failure: Failure, now: ContinuousClock.Instant) -> Action {
        guard case let (live, replay)? = liveState(at: .publishingHeartbeat) else { preconditionFailure("heartbeatFailed in \(state)") }
        if failure.kind == .connection { return connectionFailed(live, replaying: replay != nil, failure) }
        return afterHeartbeat(live, replay: replay, now: now)
    }

    mutating func replayStarted(segment: UInt64, records: [ActivityRecord], now: ContinuousClock.Instant) -> Action {
        guard case .live(var live) = state, live.step == .startingReplay else { preconditionFailure("replayStarted in \(state)") }
        live.step = .writingReplay
        return writeNextChunk(live, Replay(segment: segment, records: records))
    }

    mutating func noSegmentToReplay(now: ContinuousClock.Instant) -> Action {
        guard case .live(var live) = state, live.step == .startingReplay else { preconditionFailure("noSegmentToReplay in \(state)") }
        live.step = .writingBatch(didWork: false)
        state = .live(live)
        return .writeBatch(live.connection, force: false)
    }

    /// The chunk of the last `writeReplay` is committed (and its segment deleted if it was the last).
    mutating func replayWritten(now: ContinuousClock.Instant) -> Action {
        guard case .replaying(var live, var replay) = state, live.step == .writingReplay else { preconditionFailure("replayWritten in \(state)") }
        replay.offset = nextChunkEnd(replay)
        live.step = .writingBatch(didWork: true)
        state = replay.offset >= replay.records.count ? .live(live) : .replaying(live, replay)
        return .writeBatch(live.connection, force: false)
    }

    /// The batch of the last `writeBatch` is committed.
    mutating func batchWritten(rows: Int, now: ContinuousClock.Instant) -> Action {
        if case .draining(var draining) = state {
            draining.flushedRows += rows
            guard now < draining.deadline else {
                return close(draining.connection, abandonReplay: draining.abandonReplay, reason: .drained(rows: draining.flushedRows, complete: false), then: .stop)
            }
            state = .draining(draining)
            return .writeBatch(draining.connection, force: true)
        }
        guard case let (live, replay)? = liveState(at: nil), case .writingBatch = live.step else { preconditionFailure("batchWritten in \(state)") }
        return nextTurn(live, replay: replay, now: now)
    }

    /// The last `writeBatch` found no batch due (while draining: the queue is empty).
    mutating func queueIdle(now: ContinuousClock.Instant) -> Action {
        if case .draining(let draining) = state {
            return close(draining.connection, abandonReplay: draining.abandonReplay, reason: .drained(rows: draining.flushedRows, complete: true), then: .stop)
        }
        guard case let (live, replay)? = liveState(at: nil), case .writingBatch(let didWork) = live.step else { preconditionFailure("queueIdle in \(state)") }
        if didWork || replay != nil { return nextTurn(live, replay: replay, now: now) }
        var idle = live
        idle.step = .idle
        state = .live(idle)
        return .sleep(until: now + configuration.idleTick)
    }

    /// A `writeReplay` or `writeBatch` failed for anything but refused rows (those are
    /// dead-lettered by the write itself): the connection is closed and opened again.
    mutating func writeFailed(_ failure: Failure, now: ContinuousClock.Instant) -> Action {
        switch state {
        case .draining(let draining):
            return close(draining.connection, abandonReplay: draining.abandonReplay, reason: .drainFailed(failure, rows: draining.flushedRows), then: .stop)
        case .live(let live) where live.step.isWriting:
            return connectionFailed(live, replaying: false, failure)
        case .replaying(let live, _) where live.step.isWriting:
            return connectionFailed(live, replaying: true, failure)
        default:
            preconditionFailure("writeFailed in \(state)")
        }
    }

    // MARK: Closing, shutdown, cancellation

    /// The last `close` is done.
    mutating func closed(now: ContinuousClock.Instant, random: inout some RandomNumberGenerator) -> Action {
        guard case .closing(let closing) = state else { preconditionFailure("closed in \(state)") }
        switch closing.then {
        case .reconnect(let failure):
            return backOff(after: failure, now: now, random: &random)
        case .stop:
            state = .stopped
            return .finish
        }
    }

    /// Graceful shutdown: a live connection drains the queue, then closes; otherwise stop at once
    /// (the writer then spools what is in memory).
    mutating func shutdownRequested(now: ContinuousClock.Instant) -> Action {
        switch state {
        case .connecting, .backingOff, .stopped:
            state = .stopped
            return .finish
        case .live(let live):
            return drain(live.connection, abandonReplay: false, now: now)
        case .replaying(let live, _):
            return drain(live.connection, abandonReplay: true, now: now)
        case .draining(let draining):
            return .writeBatch(draining.connection, force: true)
        case .closing(var closing):
            closing.then = .stop
            state = .closing(closing)
            return .close(closing.connection, abandonReplay: closing.abandonReplay, reason: closing.reason)
        }
    }

    /// Cancellation: close without writing anything more, and stop.
    mutating func cancelled() -> Action {
        switch state {
        case .connecting, .backingOff, .stopped:
            state = .stopped
            return .finish
        case .live(let live):
            return close(live.connection, abandonReplay: false, reason: .stopped, then: .stop)
        case .replaying(let live, _):
            return close(live.connection, abandonReplay: true, reason: .stopped, then: .stop)
        case .draining(let draining):
            return close(draining.connection, abandonReplay: draining.abandonReplay, reason: .drained(rows: draining.flushedRows, complete: false), then: .stop)
        case .closing(var closing):
            closing.then = .stop
            state = .closing(closing)
            return .close(closing.connection, abandonReplay: closing.abandonReplay, reason: closing.reason)
        }
    }

    // MARK: Helpers

    /// The live connection and replay, when connected and (if given) at `step`.
    private func liveState(at step: Step?) -> (Live, Replay?)? {
        switch state {
        case .live(let live) where step == nil || live.step == step: (live, nil)
        case .replaying(let live, let replay) where step == nil || live.step == step: (live, replay)
        default: nil
        }
    }

    /// Starts a turn: the heartbeat when due, then the next replay chunk or a look for a segment.
    private mutating func nextTurn(_ live: Live, replay: Replay?, now: ContinuousClock.Instant) -> Action {
        var live = live
        if now >= live.heartbeatDue {
            live.step = .publishingHeartbeat
            state = replay.map { State.replaying(live, $0) } ?? State.live(live)
            let prune = pruneDue.map { now >= $0 } ?? true
            return .publishHeartbeat(live.connection, pruneStale: prune)
        }
        return continueTurn(live, replay: replay)
    }

    private mutating func continueTurn(_ live: Live, replay: Replay?) -> Action {
        var live = live
        guard let replay else {
            live.step = .startingReplay
            state = .live(live)
            return .startReplay(live.connection)
        }
        live.step = .writingReplay
        return writeNextChunk(live, replay)
    }

    private mutating func afterHeartbeat(_ live: Live, replay: Replay?, now: ContinuousClock.Instant) -> Action {
        var live = live
        live.heartbeatDue = now + configuration.heartbeatInterval
        if pruneDue.map({ now >= $0 }) ?? true { pruneDue = now + configuration.pruneInterval }
        return continueTurn(live, replay: replay)
    }

    private mutating func writeNextChunk(_ live: Live, _ replay: Replay) -> Action {
        state = .replaying(live, replay)
        let end = nextChunkEnd(replay)
        let completing = end >= replay.records.count ? replay.segment : nil
        return .writeReplay(live.connection, records: replay.records[replay.offset..<end], completing: completing)
    }

    private func nextChunkEnd(_ replay: Replay) -> Int {
        min(replay.records.count, replay.offset + max(1, configuration.replayChunk))
    }

    private mutating func connectionFailed(_ live: Live, replaying: Bool, _ failure: Failure) -> Action {
        if failure.kind == .statement && configuration.migrateOnStart { migrated = false }
        return close(live.connection, abandonReplay: replaying, reason: .failed(failure), then: .reconnect(failure))
    }

    private mutating func close(_ connection: Connection, abandonReplay: Bool, reason: CloseReason, then: AfterClose) -> Action {
        state = .closing(Closing(connection: connection, abandonReplay: abandonReplay, reason: reason, then: then))
        return .close(connection, abandonReplay: abandonReplay, reason: reason)
    }

    private mutating func drain(_ connection: Connection, abandonReplay: Bool, now: ContinuousClock.Instant) -> Action {
        guard configuration.flushTimeout > .zero else {
            return close(connection, abandonReplay: abandonReplay, reason: .stopped, then: .stop)
        }
        state = .draining(Draining(connection: connection, deadline: now + configuration.flushTimeout, abandonReplay: abandonReplay))
        return .writeBatch(connection, force: true)
    }

    private mutating func backOff(after failure: Failure, now: ContinuousClock.Instant, random: inout some RandomNumberGenerator) -> Action {
        let delay = backoff.nextDelay(using: &random)
        let until = now + delay
        state = .backingOff(until: until, attempt: backoff.failures + 1)
        return .waitToReconnect(failure, delay: delay, until: until)
    }
}

// Compared in the tests, where `Connection` is a number.
extension WriterLoopStateMachine.State: Equatable where Connection: Equatable {}
extension WriterLoopStateMachine.Live: Equatable where Connection: Equatable {}
extension WriterLoopStateMachine.Replay: Equatable {}
extension WriterLoopStateMachine.Draining: Equatable where Connection: Equatable {}
extension WriterLoopStateMachine.Closing: Equatable where Connection: Equatable {}
extension WriterLoopStateMachine.Action: Equatable where Connection: Equatable {}
