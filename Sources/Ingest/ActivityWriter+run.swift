import Foundation
import Logging
import ServiceLifecycle

extension ActivityWriter {
    /// Runs until graceful shutdown or cancellation: opens the spool, connects (retrying with
    /// backoff, spooling meanwhile), migrates when `database.migrate_on_start`, replays the spool,
    /// writes batches. Throws only when the spool directory cannot be used.
    public func run() async throws {
        let spool = try await Spool.open(configuration.spool, logger: logger)
        spoolBox.withLock { $0 = spool }
        let stats = spool.stats
        if stats.corruptTails > 0 { noteDropped(.spoolCorrupt, count: stats.corruptTails, detail: "corrupt spool tail skipped") }
        logger.info("activity writer started", metadata: [
            "spool.dir": "\(spool.directory.path)", "spool.records": "\(stats.pendingRecords)", "spool.bytes": "\(stats.bytes)",
        ])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.runSpoolPump(spool) }
                await self.runDatabaseLoop(spool)
                self.shared.withLock {
                    $0.stopped = true
                    $0.phase = .stopped
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.shared.withLock { $0.shuttingDown = true }
        }
        // Stopped: whatever is still in memory goes to the spool (this runs under cancellation too).
        let remaining = shared.withLock { $0.takeForSpool(includingQueue: true) }
        await spoolRecords(remaining, spool: spool)
        await spool.close()
        updateGauges(spool)
        logger.info("activity writer stopped", metadata: ["spool.records": "\(spool.stats.pendingRecords)"])
    }

    /// Moves the overflow (and the whole queue while PostgreSQL is unreachable) to the spool,
    /// fsyncs every `spool.sync_interval`, and updates the gauges. Runs until cancelled.
    ///
    /// Records that waited in memory for half the sync interval (PostgreSQL slow but reachable:
    /// the queue backs up, or a batch's write hangs) go to the spool too, and the spool is synced
    /// within the other half: so `kill -9` loses at most the last `sync_interval` of records, as
    /// with the spool alone.
    private func runSpoolPump(_ spool: Spool) async {
        let tick = Duration.milliseconds(20)
        let syncInterval = configuration.spool.syncInterval.duration
        let ageLimit = syncInterval / 2
        var nextSync = ContinuousClock.now + syncInterval
        var slowLog = RateLimitedLog(interval: .seconds(30))
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (records, aged) = shared.withLock { state in
                let records = state.takeForSpool(includingQueue: !state.phase.isReachable && state.phase != .starting)
                return (records, state.takeAged(enqueuedBefore: now - ageLimit))
            }
            await spoolRecords(records + aged, spool: spool)
            if !aged.isEmpty {
                nextSync = min(nextSync, now + ageLimit)
                if let represented = slowLog.event(at: now) {
                    logger.warning("PostgreSQL is slow: records waiting longer than half of spool.sync_interval go to the spool", metadata: [
                        "ingest.records": "\(aged.count)", "ingest.events_since_last_log": "\(represented)",
                    ])
                }
            }
            if ContinuousClock.now >= nextSync {
                await spool.sync()
                nextSync = ContinuousClock.now + syncInterval
            }
            updateGauges(spool)
            try? await Task.sleep(for: tick)
        }
    }

    func spoolRecords(_ records: [ActivityRecord], spool: Spool) async {
        guard !records.isEmpty else { return }
        let result = await spool.append(records)
        metrics.spooled.increment(by: result.appended)
        noteDropped(.spoolFull, count: result.droppedNewest, detail: "spool full (spool.max_bytes) or not writable")
        noteDropped(.spoolEvicted, count: result.droppedOldest, detail: "oldest spool segments deleted (spool.when_full: drop_oldest)")
    }

    func updateGauges(_ spool: Spool) {
        let stats = spool.stats
        metrics.spoolBytes.record(stats.bytes)
        metrics.spoolSegments.record(stats.segments)
        metrics.queueDepth.record(shared.withLock { $0.queue.count + $0.overflow.count })
    }
}
