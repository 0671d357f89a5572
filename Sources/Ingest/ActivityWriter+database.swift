import Foundation
import Logging
import PostgreSQL

extension ActivityWriter {
    /// A live connection and its batch writer.
    private struct Live {
        let connection: PostgresConnection
        let batchWriter: BatchWriter
    }

    /// A spool segment being replayed: its records and how far the replay got.
    private struct Replay {
        let segment: UInt64
        let records: [ActivityRecord]
        var offset = 0
    }

    /// Connects, replays the spool, writes batches; on graceful shutdown flushes the queue within
    /// `shutdown_flush_timeout`. Returns on graceful shutdown or cancellation.
    func runDatabaseLoop(_ spool: Spool) async {
        var backoff = Backoff(initial: max(.milliseconds(1), configuration.retry.initialBackoff.duration),
                              maximum: max(.milliseconds(1), configuration.retry.initialBackoff.duration, configuration.retry.maxBackoff.duration))
        var random = SystemRandomNumberGenerator()
        var live: Live?
        var replay: Replay?
        var migrated = !configuration.database.migrateOnStart
        var nextAttempt = ContinuousClock.now
        var failureLog = RateLimitedLog(interval: .seconds(30))
        let maxAge = configuration.batch.maxAge.duration
        let tick = min(max(maxAge / 10, .milliseconds(1)), .milliseconds(10))

        while !Task.isCancelled, !shared.withLock({ $0.shuttingDown }) {
            guard let current = live else {
                guard ContinuousClock.now >= nextAttempt else {
                    try? await Task.sleep(for: tick)
                    continue
                }
                do {
                    live = try await connect(migrate: !migrated)
                    migrated = true
                    backoff.reset()
                    let wasUnreachable = shared.withLock { state in
                        defer { state.phase = .writing }
                        return state.phase != .starting
                    }
                    logger.info(wasUnreachable ? "database reachable again" : "database connected", metadata: ["db.target": "\(live!.connection.target)"])
                } catch {
                    let delay = backoff.nextDelay(using: &random)
                    nextAttempt = ContinuousClock.now + delay
                    markUnreachable(error, delay: delay, log: &failureLog)
                }
                continue
            }
            do {
                var didWork = false
                if replay == nil, spool.stats.segments > 0, let started = await spool.startReplay() {
                    noteSpoolLosses(spool)
                    replay = Replay(segment: started.segment, records: started.records)
                }
                if var progress = replay {
                    let end = min(progress.offset + configuration.batch.largestBatch, progress.records.count)
                    let chunk = Array(progress.records[progress.offset..<end])
                    try await write(chunk, durable: true, on: current)
                    metrics.replayed.increment(by: chunk.count)
                    progress.offset = end
                    if end == progress.records.count {
                        await spool.finishReplay(segment: progress.segment)
                        replay = nil
                    } else {
                        replay = progress
                    }
                    didWork = true
                }
                let now = ContinuousClock.now
                let (size, maxSize) = (configuration.batch.size, configuration.batch.largestBatch)
                if let batch = shared.withLock({ $0.takeBatch(size: size, maxSize: maxSize, maxAge: maxAge, now: now, force: false) })?.records {
                    do {
                        try await write(batch, durable: false, on: current)
                        _ = shared.withLock { $0.finishBatch() }
                    } catch {
                        // Unless the spool pump already holds a copy (the write took too long).
                        if !shared.withLock({ $0.finishBatch() }) { await spoolRecords(batch, spool: spool) }
                        throw error
                    }
                    didWork = true
                }
                if !didWork { try? await Task.sleep(for: tick) }
            } catch {
                if replay != nil {
                    await spool.abandonReplay()
                    replay = nil
                }
                await current.connection.close()
                live = nil
                if let error = error as? StorageError, error.code == .statement { migrated = !configuration.database.migrateOnStart }
                let delay = backoff.nextDelay(using: &random)
                nextAttempt = ContinuousClock.now + delay
                markUnreachable(error, delay: delay, log: &failureLog)
            }
        }
        if replay != nil { await spool.abandonReplay() }
        if let live {
            if !Task.isCancelled { await flush(on: live, spool: spool) }
            await live.connection.close()
        }
    }

    /// Writes the queue to PostgreSQL until it is empty or `shutdown_flush_timeout` passed.
    private func flush(on live: Live, spool: Spool) async {
        let deadline = ContinuousClock.now + configuration.shutdownFlushTimeout.duration
        let maxSize = configuration.batch.largestBatch
        var flushed = 0
        while ContinuousClock.now < deadline,
              let batch = shared.withLock({ $0.takeBatch(size: 1, maxSize: maxSize, maxAge: .zero, now: .now, force: true) })?.records {
            do {
                try await write(batch, durable: false, on: live)
                _ = shared.withLock { $0.finishBatch() }
                flushed += batch.count
            } catch {
                if !shared.withLock({ $0.finishBatch() }) { await spoolRecords(batch, spool: spool) }
                logger.warning("shutdown flush failed; the rest of the queue goes to the spool", metadata: ["error.message": "\(error)"])
                break
            }
        }
        logger.info("queue flushed at shutdown", metadata: ["ingest.rows": "\(flushed)"])
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
    private func write(_ records: [ActivityRecord], durable: Bool, on live: Live) async throws {
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

    private func markUnreachable(_ error: any Error, delay: Duration, log: inout RateLimitedLog) {
        metrics.retries.increment()
        let reason = Self.reason(error)
        let first = shared.withLock { state -> Bool in
            if case .unreachable = state.phase { return false }
            state.phase = .unreachable(since: Date(), reason: reason)
            return true
        }
        let due = log.event(at: .now) != nil
        if first || due {
            logger.warning("database unreachable; spooling records and retrying", metadata: [
                "error.message": "\(error)", "ingest.retry_in": "\(delay)",
            ])
        }
    }

    /// The failure's class and SQLSTATE for `/status`, never its text (hosts, users): see
    /// `StorageError.statusSummary`. The log line beside it keeps the whole error.
    static func reason(_ error: any Error) -> String {
        (error as? StorageError)?.statusSummary ?? "connection failed"
    }
}
