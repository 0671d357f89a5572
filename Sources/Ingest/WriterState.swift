import Foundation
import NIOCore

/// The writer's state shared between the request path and the writer's tasks, behind a `Mutex`.
/// Every access is short: no I/O, no suspension while it is held.
struct WriterState: Sendable {
    struct Queued: Sendable {
        var row: EncodedActivity
        var enqueued: ContinuousClock.Instant
    }

    /// Records on their way to PostgreSQL, oldest first. Bounded by `queue.capacity`.
    var queue = CircularBuffer<Queued>()
    /// Records that found the queue full, on their way to the spool. Bounded by `queue.capacity`.
    var overflow: [EncodedActivity] = []
    /// The batch being written from the queue, from `takeBatch` until `finishBatch`.
    var inFlight: InFlight?
    var phase = Phase.starting
    var lastWrite: Date?
    var rowsWritten = 0
    var dropped = 0
    var deadLettered = 0
    /// Records handed to the spool since start.
    var spooled = 0
    /// System-metric minutes waiting for PostgreSQL.
    var systemMetrics = SystemMetricsBuffer()
    /// The counters above at the last system-metrics harvest, to take differences from.
    var harvested = HarvestedTotals()
    /// The spool's `lostRecords` already counted as dropped.
    var spoolLossesNoted = 0
    /// Graceful shutdown was requested: flush, then stop.
    var shuttingDown = false
    /// The writer stopped: `record(_:)` drops (reason `stopped`).
    var stopped = false
    var dropLog = RateLimitedLog()

    /// Takes the next batch, of at most `maxSize` records: when `force`, or when `size` records
    /// wait, or the oldest waited `maxAge`. Runs under the lock the request path takes: when the
    /// whole queue fits, it is handed over in O(1) and copied out by `rows` after the lock.
    mutating func takeBatch(size: Int, maxSize: Int, maxAge: Duration, now: ContinuousClock.Instant, force: Bool) -> TakenBatch? {
        guard let oldest = queue.first else { return nil }
        guard force || queue.count >= size || now - oldest.enqueued >= maxAge else { return nil }
        let taken: CircularBuffer<Queued>
        if queue.count <= maxSize {
            taken = queue
            // Room for as much as came in since the last take: appends on the request path then
            // rarely grow it (each growth copied every queued record, a profile's 1.5%).
            queue = CircularBuffer(initialCapacity: max(16, size, taken.count))
        } else {
            var part = CircularBuffer<Queued>(initialCapacity: maxSize)
            for _ in 0..<maxSize { part.append(queue.removeFirst()) }
            taken = part
        }
        let batch = TakenBatch(queued: taken)
        inFlight = InFlight(batch: batch, oldest: oldest.enqueued)
        return batch
    }

    /// The batch taken last is written, or failed. Returns whether `takeAged` spooled a copy of it
    /// meanwhile (then a failed batch must not be spooled again).
    mutating func finishBatch() -> Bool {
        defer { inFlight = nil }
        return inFlight?.spooled ?? false
    }

    /// Takes for the spool what has waited in memory since before `cutoff`: the queue's oldest
    /// records (removed), and a copy of the batch in flight (kept: its write may still succeed;
    /// the replay then skips its rows). Bounds what `kill -9` can lose while PostgreSQL is slow.
    mutating func takeAged(enqueuedBefore cutoff: ContinuousClock.Instant) -> [EncodedActivity] {
        var aged: [EncodedActivity] = []
        if var flight = inFlight, !flight.spooled, flight.oldest < cutoff {
            aged = flight.batch.rows
            flight.spooled = true
            inFlight = flight
        }
        while let oldest = queue.first, oldest.enqueued < cutoff {
            aged.append(queue.removeFirst().row)
        }
        return aged
    }

    /// Empties the overflow, and the queue too when `includingQueue`, for the spool.
    mutating func takeForSpool(includingQueue: Bool) -> [EncodedActivity] {
        var rows = overflow
        overflow.removeAll(keepingCapacity: true)
        if includingQueue {
            rows.append(contentsOf: queue.map(\.row))
            queue.removeAll(keepingCapacity: true)
        }
        return rows
    }
}

extension WriterState {
    /// The writer's running totals at a system-metrics harvest.
    struct HarvestedTotals: Sendable {
        var rowsWritten = 0
        var spooled = 0
        var dropped = 0
        var deadLettered = 0
    }

    /// A batch taken from the queue; `rows` copies it out (call it outside the lock).
    struct TakenBatch: Sendable {
        let queued: CircularBuffer<Queued>
        var rows: [EncodedActivity] { queued.map(\.row) }
    }

    /// A batch on its way to PostgreSQL.
    struct InFlight: Sendable {
        var batch: TakenBatch
        /// When its oldest record was queued.
        var oldest: ContinuousClock.Instant
        /// Whether a copy went to the spool because the write took too long.
        var spooled = false
    }
}

/// The writer's connection state, in words for `/status`.
enum Phase: Sendable, Equatable {
    case starting
    case writing
    case unreachable(since: Date, reason: String)
    case stopped

    var isReachable: Bool {
        switch self {
        case .writing: true
        case .starting, .unreachable, .stopped: false
        }
    }

    func words(spoolRecords: Int) -> String {
        switch self {
        case .starting:
            return "starting: connecting to the database"
        case .writing:
            return spoolRecords > 0 ? "writing; replaying the spool (\(spoolRecords) records waiting)" : "writing"
        case .unreachable(let since, let reason):
            return "spooling: database unreachable since \(since.formatted(.iso8601)) (\(reason))"
        case .stopped:
            return "stopped"
        }
    }
}
