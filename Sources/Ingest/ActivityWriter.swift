import ConfigValues
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Takes activity records from the request path and stores them in PostgreSQL, in batches,
/// without ever making the request path wait; spools them to disk while PostgreSQL is away.
///
/// Run it as a `Service` (in the same `ServiceGroup` as the proxy, started before it). `record(_:)`
/// may be called from any thread, before `run()` starts too. On graceful shutdown the queue is
/// written to PostgreSQL within `shutdown_flush_timeout` and whatever remains is spooled; on
/// cancellation everything still in memory is spooled at once.
public final class ActivityWriter: Service, Sendable {
    /// What `record(_:)` did with a record.
    public enum Acceptance: Sendable, Equatable {
        /// In the in-memory queue, on its way to PostgreSQL.
        case queued
        /// The queue was full: handed to the spool.
        case spooled
        /// Not stored; counted under `ingest_dropped_total{reason}` and logged (rate-limited).
        case dropped(DropReason)
    }

    let configuration: IngestConfiguration
    /// Who this writer is in its heartbeat row.
    public let identity: InstanceIdentity
    let logger: Logger
    let metrics = IngestMetrics()
    let shared: Mutex<WriterState>
    let spoolBox = Mutex<Spool?>(nil)

    /// Makes a writer; nothing is opened until `run()`.
    ///
    /// - Parameter version: the sidecar's version, published in its heartbeat row.
    public init(configuration: IngestConfiguration, version: String = "unknown", logger: Logger) {
        precondition(configuration.queue.capacity > 0, "queue.capacity is at least 1")
        precondition(configuration.batch.size > 0, "batch.size is at least 1")
        self.configuration = configuration
        self.identity = InstanceIdentity.current(configuredID: configuration.instanceID, version: version)
        self.logger = logger
        self.shared = Mutex(WriterState())
    }

    /// Hands a record to the writer. Never blocks on I/O and never suspends: it validates the
    /// record (`ActivityRecord.validated()`), encodes it as the tuple it is stored as
    /// (`EncodedActivity`) on the caller's thread, then appends it to the bounded in-memory queue,
    /// or, when the queue is full, to the spool's hand-off list; past that it is dropped and counted.
    @discardableResult
    public func record(_ record: consuming ActivityRecord) -> Acceptance {
        var batch = ActivityRowBatch()
        guard encode(record, into: &batch) else { return .dropped(.invalid) }
        // One row in, one acceptance out; a row the batch lost was counted by `handOver`.
        return handOver(&batch).last ?? .dropped(.invalid)
    }

    /// Validates a record and adds its tuple to `batch`, to be handed over with `record(_:)` (a
    /// thread that records many rows in one turn hands them over together). Returns false when
    /// the record is invalid: it is then dropped and counted (reason `invalid`).
    @discardableResult
    public func encode(_ record: consuming ActivityRecord, into batch: inout ActivityRowBatch) -> Bool {
        do {
            let validated = try record.validated()
            batch.append(validated: validated)
            return true
        } catch {
            noteDropped(.invalid, count: 1, detail: error.message)
            return false
        }
    }

    /// Adds the tuple of `values` to `batch`: written straight from them when they are clean (the
    /// common case), otherwise validated as a record first (`encode(_ record:into:)`); returns
    /// false when that refuses them (dropped and counted, reason `invalid`). The stored bytes are
    /// the same either way.
    @discardableResult
    public func encode(_ values: borrowing ActivityRowValues, into batch: inout ActivityRowBatch) -> Bool {
        if batch.append(ifClean: values) { return true }
        return encode(values.record, into: &batch)
    }

    /// Hands over the rows of `batch` (empty afterwards): one lock for all of them. Never blocks
    /// on I/O and never suspends.
    public func record(_ batch: inout ActivityRowBatch) {
        handOver(&batch, collectingAcceptances: false)
    }

    /// `collectingAcceptances`: whether to return each row's fate (drops are counted either way);
    /// the loops' hand-off does not read it, and the array was an allocation per loop turn.
    @discardableResult
    private func handOver(_ batch: inout ActivityRowBatch, collectingAcceptances: Bool = true) -> [Acceptance] {
        guard !batch.isEmpty else { return [] }
        let (rows, missing) = batch.take()
        noteDropped(.invalid, count: missing, detail: "a row's bytes were not where its batch noted them")
        return enqueue(rows, collectingAcceptances: collectingAcceptances)
    }

    /// Queues rows that are already encoded, in order: each to the queue, or when it is full to
    /// the spool's hand-off list, or dropped. One lock for all of them. Returns each row's fate
    /// when `collectingAcceptances`, else nothing.
    @discardableResult
    func enqueue(_ rows: [EncodedActivity], collectingAcceptances: Bool = true) -> [Acceptance] {
        let now = ContinuousClock.now
        let capacity = configuration.queue.capacity
        var acceptances: [Acceptance] = []
        if collectingAcceptances { acceptances.reserveCapacity(rows.count) }
        var (stopped, full) = (0, 0)
        shared.withLock { state in
            for row in rows {
                let acceptance: Acceptance
                if state.stopped {
                    acceptance = .dropped(.stopped)
                } else if state.queue.count < capacity {
                    state.queue.append(WriterState.Queued(row: row, enqueued: now))
                    acceptance = .queued
                } else if state.overflow.count < capacity {
                    state.overflow.append(row)
                    acceptance = .spooled
                } else {
                    acceptance = .dropped(.queueFull)
                }
                if case .dropped(let reason) = acceptance {
                    if reason == .stopped { stopped += 1 } else { full += 1 }
                }
                if collectingAcceptances { acceptances.append(acceptance) }
            }
        }
        noteDropped(.stopped, count: stopped, detail: nil)
        noteDropped(.queueFull, count: full, detail: nil)
        return acceptances
    }

    /// Queues one row that is already encoded (tests use it directly).
    func enqueue(_ row: EncodedActivity) -> Acceptance {
        enqueue([row]).first ?? .dropped(.invalid)
    }

    /// A snapshot for the admin `/status` JSON.
    public func status() -> IngestStatus {
        let spool = spoolBox.withLock { $0?.stats } ?? Spool.Stats()
        return shared.withLock { state in
            IngestStatus(
                state: state.phase.words(spoolRecords: spool.pendingRecords),
                databaseReachable: state.phase.isReachable,
                queueDepth: state.queue.count + state.overflow.count,
                spoolBytes: spool.bytes,
                spoolRecords: spool.pendingRecords,
                lastWrite: state.lastWrite,
                rowsWritten: state.rowsWritten,
                dropped: state.dropped,
                deadLettered: state.deadLettered
            )
        }
    }

    /// Counts dropped records (metric by reason, status) and logs at a limited rate.
    func noteDropped(_ reason: DropReason, count: Int, detail: String?) {
        guard count > 0 else { return }
        metrics.dropped(reason, count: count)
        let now = ContinuousClock.now
        let represented = shared.withLock { state -> Int? in
            state.dropped += count
            return state.dropLog.event(at: now)
        }
        if let represented {
            var metadata: Logger.Metadata = ["ingest.drop.reason": "\(reason.rawValue)", "ingest.drop.count": "\(count)", "ingest.drop.events_since_last_log": "\(represented)"]
            if let detail { metadata["error.message"] = "\(detail)" }
            logger.warning("activity records dropped", metadata: metadata)
        }
    }
}
