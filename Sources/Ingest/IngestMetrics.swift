import Foundation
import Metrics

/// The writer's metrics (swift-metrics; the process bootstraps the backend, e.g. Prometheus).
///
/// Names are stable: dashboards and alerts depend on them.
struct IngestMetrics: Sendable {
    let queueDepth = Gauge(label: "ingest_queue_depth")
    let rowsWritten = Counter(label: "ingest_rows_written_total")
    let batches = Counter(label: "ingest_batches_total")
    let batchDuration = Metrics.Timer(label: "ingest_batch_duration_seconds", preferredDisplayUnit: .seconds)
    let retries = Counter(label: "ingest_retries_total")
    let spoolBytes = Gauge(label: "ingest_spool_bytes")
    let spoolSegments = Gauge(label: "ingest_spool_segments")
    let spooled = Counter(label: "ingest_spooled_total")
    let replayed = Counter(label: "ingest_replayed_total")
    let spoolSyncFailures = Counter(label: "ingest_spool_sync_failures_total")
    let deadLettered = Counter(label: "ingest_dead_lettered_total")
    let lastWrite = Gauge(label: "ingest_last_write_timestamp_seconds")

    /// Counts dropped records by reason (`DropReason.rawValue`).
    func dropped(_ reason: DropReason, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: "ingest_dropped_total", dimensions: [("reason", reason.rawValue)]).increment(by: count)
    }
}

/// Why a record was not stored.
public enum DropReason: String, Sendable, Codable, CaseIterable {
    /// The record failed validation (`ActivityRecord.validated()`).
    case invalid
    /// The queue and the spool hand-off were both full.
    case queueFull = "queue_full"
    /// The spool was full and `when_full` is `drop_newest`, or the disk failed.
    case spoolFull = "spool_full"
    /// Deleted with an old segment because the spool was full and `when_full` is `drop_oldest`.
    case spoolEvicted = "spool_evicted"
    /// A spool record was damaged (torn or corrupt) and could not be read back; counted per
    /// record (at least one per damaged place).
    case spoolCorrupt = "spool_corrupt"
    /// PostgreSQL refused the row and the dead-letter insert failed too.
    case rejected
    /// The record arrived after the writer stopped.
    case stopped
}
