import Foundation
import PostgreSQL

/// One sidecar as its last heartbeat described it (a row of `trackingproxy_instances`), for
/// `system-health`. The figures count since that process started.
public struct InstanceHeartbeat: Sendable, Equatable {
    public var instanceID: String
    public var hostname: String
    public var version: String
    public var startedAt: Date
    /// When the row was last written, by the database's clock.
    public var heartbeatAt: Date
    /// How long ago that was, by the database's clock (never negative).
    public var ageSeconds: Double
    /// The writer's state in words, as `/status` says it.
    public var state: String
    public var queueDepth: Int64
    public var spoolBytes: Int64
    public var spoolRecords: Int64
    public var rowsWritten: Int64
    public var dropped: Int64
    public var deadLettered: Int64
    /// When its writer last committed a batch; `nil` before the first.
    public var lastWrite: Date?

    /// The most instances `fetchInstances` returns.
    public static let maxListed = 200
}

extension ActivityStore {
    /// Every instance that published a heartbeat, most recent heartbeat first, at most `limit`
    /// (1 to `InstanceHeartbeat.maxListed`).
    public func fetchInstances(limit: Int = InstanceHeartbeat.maxListed) async throws -> [InstanceHeartbeat] {
        let bounded = min(max(limit, 1), InstanceHeartbeat.maxListed)
        let rows = try await connection.execute("""
            SELECT instance_id, hostname, version, extract(epoch FROM started_at), extract(epoch FROM heartbeat_at),
                   greatest(0, extract(epoch FROM now() - heartbeat_at)), state, queue_depth, spool_bytes, spool_records,
                   rows_written, dropped, dead_lettered, extract(epoch FROM last_write)
            FROM trackingproxy_instances ORDER BY heartbeat_at DESC, instance_id LIMIT $1::bigint
            """, parameters: [String(bounded)], operation: "list instances")
        return try rows.map { row throws(StorageError) in try InstanceHeartbeat(row: row) }
    }
}

extension InstanceHeartbeat {
    /// Parses a row of `fetchInstances`' query; a row of another shape is an error, never a trap.
    init(row: [String?]) throws(StorageError) {
        guard row.count == 14 else {
            throw StorageError(code: .statement, operation: "list instances", message: "expected 14 columns, got \(row.count)",
                              advice: "Run `trackingproxy db migrate` so that the schema matches this version.")
        }
        func text(_ index: Int) -> String { row[index] ?? "" }
        func number(_ index: Int) throws(StorageError) -> Int64 {
            guard let value = row[index].flatMap({ Int64($0) }) else { throw Self.malformed(index, row[index]) }
            return value
        }
        func seconds(_ index: Int) throws(StorageError) -> Double? {
            guard let value = row[index] else { return nil }
            guard let seconds = Double(value), seconds.isFinite else { throw Self.malformed(index, value) }
            return seconds
        }
        func date(_ index: Int) throws(StorageError) -> Date {
            guard let seconds = try seconds(index) else { throw Self.malformed(index, nil) }
            return Date(timeIntervalSince1970: seconds)
        }
        self.init(
            instanceID: text(0), hostname: text(1), version: text(2), startedAt: try date(3), heartbeatAt: try date(4),
            ageSeconds: try seconds(5) ?? 0, state: text(6), queueDepth: try number(7), spoolBytes: try number(8),
            spoolRecords: try number(9), rowsWritten: try number(10), dropped: try number(11), deadLettered: try number(12),
            lastWrite: try seconds(13).map { Date(timeIntervalSince1970: $0) })
    }

    private static func malformed(_ column: Int, _ value: String?) -> StorageError {
        StorageError(code: .statement, operation: "list instances", message: "column \(column + 1) holds \(value.map { "'\($0)'" } ?? "NULL")",
                    advice: "Check trackingproxy_instances: its columns should match migration 3.")
    }
}
