import Foundation
import Logging
import PostgreSQL

extension ActivityWriter {
    /// A live connection and its batch writer.
    struct Live: Sendable {
        let connection: PostgresConnection
        let batchWriter: BatchWriter
    }

    typealias LoopMachine = WriterLoopStateMachine<Live>

    /// Runs the writer's database loop: performs the actions of a `WriterLoopStateMachine` one at
    /// a time and reports what each came to, until it says `finish` (after graceful shutdown,
    /// once the queue is flushed within `shutdown_flush_timeout`, or at cancellation).
    ///
    /// Graceful shutdown and cancellation are reported to the machine once each, between actions;
    /// the sleeps end early for them.
    func runDatabaseLoop(_ spool: Spool) async {
        var machine = LoopMachine(configuration: loopConfiguration)
        var random = SystemRandomNumberGenerator()
        var failureLog = RateLimitedLog(interval: .seconds(30))
        var heartbeatLog = RateLimitedLog(interval: .seconds(60))
        var shutdownReported = false
        var cancellationReported = false
        var action = machine.start()
        while true {
            if !cancellationReported, Task.isCancelled {
                (cancellationReported, shutdownReported) = (true, true)
                action = machine.cancelled()
            } else if !shutdownReported, shared.withLock({ $0.shuttingDown }) {
                shutdownReported = true
                action = machine.shutdownRequested(now: .now)
            }
            switch action {
            case .finish:
                return
            case .connect(let migrate):
                do {
                    let live = try await connect(migrate: migrate)
                    noteConnected(live)
                    action = machine.connected(live, now: .now)
                } catch {
                    action = machine.connectFailed(DatabaseFailure(error), now: .now, random: &random)
                }
            case .waitToReconnect(let failure, let delay, let until):
                markUnreachable(failure, delay: delay, log: &failureLog)
                await sleep(until: until)
                action = machine.woke(now: .now)
            case .sleep(let until):
                await sleep(until: until)
                action = machine.woke(now: .now)
            case .publishHeartbeat(let live, let pruneStale):
                let heartbeat = HeartbeatWriter(identity: identity)
                let figures = self.status()
                do {
                    try await live.connection.run { try heartbeat.publish(figures, pruneStale: pruneStale, session: $0) }
                    // The system-metric minutes go with the heartbeat: one more transaction on
                    // the same turn, never on the request path.
                    try await writeSystemMetrics(on: live)
                    action = machine.heartbeatPublished(now: .now)
                } catch {
                    let failure = DatabaseFailure(error)
                    if failure.kind != .connection, let represented = heartbeatLog.event(at: .now) {
                        logger.warning("heartbeat or system metrics not published; batches are written as before", metadata: [
                            "error.message": "\(failure.detail)", "ingest.events_since_last_log": "\(represented)",
                        ])
                    }
                    action = machine.heartbeatFailed(failure, now: .now)
                }
            case .startReplay:
                if spool.stats.segments > 0, let started = await spool.startReplay() {
                    noteSpoolLosses(spool)
                    action = machine.replayStarted(segment: started.segment, records: started.records, now: .now)
                } else {
                    action = machine.noSegmentToReplay(now: .now)
                }
            case .writeReplay(let live, let records, let completing):
                do {
                    try await write(records.map { EncodedActivity(validated: $0) }, durable: true, on: live)
                    metrics.replayed.increment(by: records.count)
                    if let completing { await spool.finishReplay(segment: completing) }
                    action = machine.replayWritten(now: .now)
                } catch {
                    action = machine.writeFailed(DatabaseFailure(error), now: .now)
                }
            case .writeBatch(let live, let force):
                action = await writeQueueBatch(on: live, force: force, spool: spool, machine: &machine)
            case .close(let live, let abandonReplay, let reason):
                if abandonReplay { await spool.abandonReplay() }
                noteClosing(reason)
                if case .drained(_, complete: true) = reason { await writeLastSystemMetrics(on: live) }
                await live.connection.close()
                action = machine.closed(now: .now, random: &random)
            }
        }
    }

    /// The machine's configuration, from `ingest`.
    var loopConfiguration: LoopMachine.Configuration {
        let maxAge = configuration.batch.maxAge.duration
        return LoopMachine.Configuration(
            initialBackoff: configuration.retry.initialBackoff.duration,
            maxBackoff: configuration.retry.maxBackoff.duration,
            migrateOnStart: configuration.database.migrateOnStart,
            replayChunk: configuration.batch.largestBatch,
            idleTick: min(max(maxAge / 10, .milliseconds(1)), .milliseconds(10)),
            flushTimeout: configuration.shutdownFlushTimeout.duration,
            heartbeatInterval: configuration.heartbeatInterval.duration
        )
    }

    /// Takes a batch from the queue (one that is due, or with `force` any) and writes it; a batch
    /// that fails goes to the spool, unless the spool pump already holds a copy (the write took
    /// too long).
    private func writeQueueBatch(on live: Live, force: Bool, spool: Spool, machine: inout LoopMachine) async -> LoopMachine.Action {
        let now = ContinuousClock.now
        let (size, maxSize) = (force ? 1 : configuration.batch.size, configuration.batch.largestBatch)
        let maxAge = force ? .zero : configuration.batch.maxAge.duration
        guard let batch = shared.withLock({ $0.takeBatch(size: size, maxSize: maxSize, maxAge: maxAge, now: now, force: force) })?.rows else {
            return machine.queueIdle(now: now)
        }
        do {
            try await write(batch, durable: false, on: live)
            _ = shared.withLock { $0.finishBatch() }
            return machine.batchWritten(rows: batch.count, now: .now)
        } catch {
            if !shared.withLock({ $0.finishBatch() }) { await spoolRecords(batch, spool: spool) }
            return machine.writeFailed(DatabaseFailure(error), now: .now)
        }
    }

    /// Sleeps until `until`, in slices of at most 10 ms so that graceful shutdown is seen soon;
    /// returns early on shutdown or cancellation.
    private func sleep(until: ContinuousClock.Instant) async {
        while !Task.isCancelled, !shared.withLock({ $0.shuttingDown }) {
            let left = until - ContinuousClock.now
            guard left > .zero else { return }
            try? await Task.sleep(for: min(left, .milliseconds(10)))
        }
    }

    private func noteConnected(_ live: Live) {
        let wasUnreachable = shared.withLock { state in
            defer { state.phase = .writing }
            return state.phase != .starting
        }
        logger.info(wasUnreachable ? "database reachable again" : "database connected", metadata: ["db.target": "\(live.connection.target)"])
    }

    /// At graceful shutdown, once the queue is flushed (so PostgreSQL answers), stores the
    /// system-metric minutes still in memory, the last part-minute among them: the next heartbeat,
    /// which would have carried them, never comes. Not tried after a drain that timed out or failed.
    private func writeLastSystemMetrics(on live: Live) async {
        do {
            try await writeSystemMetrics(on: live)
        } catch {
            logger.warning("the last system-metric minutes were not stored at shutdown", metadata: [
                "error.message": "\(DatabaseFailure(error).detail)",
            ])
        }
    }

    private func noteClosing(_ reason: LoopMachine.CloseReason) {
        switch reason {
        case .failed, .stopped:
            break
        case .drained(let rows, complete: true):
            logger.info("queue flushed at shutdown", metadata: ["ingest.rows": "\(rows)"])
        case .drained(let rows, complete: false):
            logger.warning("shutdown_flush_timeout passed; the rest of the queue goes to the spool", metadata: ["ingest.rows": "\(rows)"])
        case .drainFailed(let failure, let rows):
            logger.warning("shutdown flush failed; the rest of the queue goes to the spool", metadata: [
                "ingest.rows": "\(rows)", "error.message": "\(failure.detail)",
            ])
        }
    }

    private func connect(migrate: Bool) async throws -> Live {
        let database = configuration.database
        let connection = try await PostgresConnection.connect(url: database.url, connectTimeout: database.connectTimeout)
        do {
            if migrate { try await Migrator(logger: logger).migrate(connection) }
            let batchWriter = BatchWriter(synchronousCommit: database.synchronousCommit)
            try await connection.run { try batchWriter.prepare($0) }
            return Live(connection: connection, batchWriter: batchWriter)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Writes a batch: `durable` for spool replays (synchronous commit: a segment is deleted only
    /// after its rows are on disk), otherwise a batch from the queue. Both try a direct COPY first
    /// when `batch.direct_copy`; a batch meeting stored rows goes through the staging table.
    private func write(_ records: [EncodedActivity], durable: Bool, on live: Live) async throws {
        let started = ContinuousClock.now
        let batchWriter = live.batchWriter
        let direct = configuration.batch.directCopy
        let outcome = try await live.connection.run { try batchWriter.write(records, durable: durable, direct: direct, session: $0) }
        let elapsed = ContinuousClock.now - started
        metrics.batches.increment()
        metrics.batchDuration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        metrics.rowsWritten.increment(by: outcome.written)
        let now = Date()
        metrics.lastWrite.record(now.timeIntervalSince1970)
        shared.withLock { state in
            state.lastWrite = now
            state.rowsWritten += outcome.written
            state.deadLettered += outcome.deadLettered.count
        }
        for (record, error) in outcome.deadLettered {
            metrics.deadLettered.increment()
            logger.error("PostgreSQL refused a row; moved to activity_dead_letter", metadata: [
                "activity.id": "\(record.id)", "activity.type": "\(record.activityType)", "rule.id": "\(record.ruleID)",
                "db.sqlstate": "\(error.sqlState ?? "")", "error.message": "\(error.message)",
            ])
        }
        noteDropped(.rejected, count: outcome.lost, detail: "a refused row could not be dead-lettered")
    }

    private func markUnreachable(_ failure: DatabaseFailure, delay: Duration, log: inout RateLimitedLog) {
        metrics.retries.increment()
        let first = shared.withLock { state -> Bool in
            if case .unreachable = state.phase { return false }
            state.phase = .unreachable(since: Date(), reason: failure.summary)
            return true
        }
        let due = log.event(at: .now) != nil
        if first || due {
            logger.warning("database unreachable; spooling records and retrying", metadata: [
                "error.message": "\(failure.detail)", "ingest.retry_in": "\(delay)",
            ])
        }
    }
}
