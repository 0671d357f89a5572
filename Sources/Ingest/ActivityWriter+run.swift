import Foundation
import Logging
import ServiceLifecycle
import Synchronization

extension ActivityWriter {
    /// Runs until graceful shutdown or cancellation: opens the spool, connects (retrying with
    /// backoff, spooling meanwhile), migrates when `database.migrate_on_start`, replays the spool,
    /// writes batches. Throws only when the spool directory cannot be used.
    public func run() async throws {
        let spool = try await Spool.open(configuration.spool, logger: logger)
        spoolBox.withLock { $0 = spool }
        let stats = spool.stats
        noteSpoolLosses(spool)
        logger.info("activity writer started", metadata: [
            "spool.dir": "\(spool.directory.path)", "spool.records": "\(stats.pendingRecords)", "spool.bytes": "\(stats.bytes)",
        ])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                let syncDue = SyncDeadline(ContinuousClock.now + self.configuration.spool.syncInterval.duration)
                group.addTask { await self.runSpoolPump(spool, syncDue: syncDue) }
                group.addTask { await self.runSpoolSync(spool, syncDue: syncDue) }
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

    /// Moves the overflow (and the whole queue while PostgreSQL is unreachable) to the spool
    /// every 20 ms, and updates the gauges. Runs until cancelled.
    ///
    /// Records that waited in memory for half the sync interval (PostgreSQL slow but reachable:
    /// the queue backs up, or a batch's write hangs) go to the spool too, and the spool is synced
    /// within the other half (`runSpoolSync`): so `kill -9` loses at most the last
    /// `sync_interval` of records, as with the spool alone.
    ///
    /// The pump only ever waits for the spool's append thread, which does nothing slow (no fsync,
    /// no reads): the hand-off must keep up with the request path, or the bounded overflow drops.
    private func runSpoolPump(_ spool: Spool, syncDue: SyncDeadline) async {
        let tick = Duration.milliseconds(20)
        let ageLimit = configuration.spool.syncInterval.duration / 2
        var slowLog = RateLimitedLog(interval: .seconds(30))
        var stallLog = RateLimitedLog(interval: .seconds(30))
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (records, aged) = shared.withLock { state in
                let records = state.takeForSpool(includingQueue: !state.phase.isReachable && state.phase != .starting)
                return (records, state.takeAged(enqueuedBefore: now - ageLimit))
            }
            let appendStarted = ContinuousClock.now
            await spoolRecords(records + aged, spool: spool)
            let took = ContinuousClock.now - appendStarted
            if !records.isEmpty || !aged.isEmpty, took > .milliseconds(100), let represented = stallLog.event(at: now) {
                logger.warning("the spool took long to take records: the disk is slow; the overflow (queue.capacity) absorbs such stalls", metadata: [
                    "ingest.records": "\(records.count + aged.count)", "spool.append_seconds": "\(took)",
                    "ingest.events_since_last_log": "\(represented)",
                ])
            }
            if !aged.isEmpty {
                syncDue.advance(to: now + ageLimit)
                if let represented = slowLog.event(at: now) {
                    logger.warning("PostgreSQL is slow: records waiting longer than half of spool.sync_interval go to the spool", metadata: [
                        "ingest.records": "\(aged.count)", "ingest.events_since_last_log": "\(represented)",
                    ])
                }
            }
            updateGauges(spool)
            try? await Task.sleep(for: tick)
        }
    }

    /// fsyncs the spool every `spool.sync_interval` (sooner when the pump spooled aged records),
    /// apart from the pump: an fsync can take seconds on a busy disk. Runs until cancelled.
    private func runSpoolSync(_ spool: Spool, syncDue: SyncDeadline) async {
        let interval = configuration.spool.syncInterval.duration
        let tick = min(interval / 4, .milliseconds(20))
        while !Task.isCancelled {
            guard ContinuousClock.now >= syncDue.instant else {
                try? await Task.sleep(for: tick)
                continue
            }
            if !(await spool.sync()) { metrics.spoolSyncFailures.increment() }
            syncDue.reset(to: ContinuousClock.now + interval)
        }
    }

    /// Counts records the spool lost to damaged files since the last call.
    func noteSpoolLosses(_ spool: Spool) {
        let lost = spool.stats.lostRecords
        let new = shared.withLock { state -> Int in
            defer { state.spoolLossesNoted = max(state.spoolLossesNoted, lost) }
            return lost - state.spoolLossesNoted
        }
        noteDropped(.spoolCorrupt, count: new, detail: "damaged spool records skipped; the damaged file is kept as *.damaged-<time>")
    }

    func spoolRecords(_ records: [EncodedActivity], spool: Spool) async {
        guard !records.isEmpty else { return }
        let result = await spool.append(records)
        metrics.spooled.increment(by: result.appended)
        shared.withLock { $0.spooled &+= result.appended }
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

/// When the spool is next due for an fsync, shared by the pump (which brings it forward when it
/// spools aged records) and the sync loop.
final class SyncDeadline: Sendable {
    private let due: Mutex<ContinuousClock.Instant>

    init(_ instant: ContinuousClock.Instant) { due = Mutex(instant) }

    var instant: ContinuousClock.Instant { due.withLock { $0 } }

    /// Brings the deadline forward to `instant` if that is sooner.
    func advance(to instant: ContinuousClock.Instant) { due.withLock { $0 = min($0, instant) } }

    func reset(to instant: ContinuousClock.Instant) { due.withLock { $0 = instant } }
}
