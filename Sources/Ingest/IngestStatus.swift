import Foundation

/// A snapshot of the writer for the admin `/status` JSON.
public struct IngestStatus: Sendable, Codable, Equatable {
    /// The state in words: `"starting"`, `"writing"`, `"replaying spool"`,
    /// `"spooling: database unreachable since 2026-11-27T02:40:00Z (connection refused)"`, `"stopped"`.
    public var state: String
    /// Whether the last attempt to reach PostgreSQL succeeded.
    public var databaseReachable: Bool
    /// Records waiting in memory.
    public var queueDepth: Int
    /// Bytes in the spool's segment files.
    public var spoolBytes: Int
    /// Records waiting in the spool.
    public var spoolRecords: Int
    /// When a batch was last committed.
    public var lastWrite: Date?
    /// Rows committed since start.
    public var rowsWritten: Int
    /// Records dropped since start, all reasons.
    public var dropped: Int
    /// Rows moved to `activity_dead_letter` since start.
    public var deadLettered: Int

    enum CodingKeys: String, CodingKey {
        case state
        case databaseReachable = "database_reachable"
        case queueDepth = "queue_depth"
        case spoolBytes = "spool_bytes"
        case spoolRecords = "spool_records"
        case lastWrite = "last_write"
        case rowsWritten = "rows_written"
        case dropped
        case deadLettered = "dead_lettered"
    }
}
