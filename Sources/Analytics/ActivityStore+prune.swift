import Foundation
import PostgreSQL

extension StorageError.Code {
    /// Another sidecar or cron job holds the lock for the same work; nothing was done.
    public static let busy = StorageError.Code(name: "busy")
}

extension ActivityStore {
    /// The advisory lock held while pruning, so that two prunes (cron and `serve`) never overlap.
    public static let pruneLockKey: Int64 = 0x5452_4B50_0003
    /// Rows deleted per statement from the partition that straddles the cutoff: short
    /// transactions, so that writers and vacuum are never held up for long.
    static let deleteBatchSize = 5_000

    /// Removes every row older than `cutoff` and makes sure the partitions for this month and
    /// the next ones exist.
    ///
    /// Partitions lying entirely before the cutoff are detached with `DETACH PARTITION ...
    /// CONCURRENTLY` (which does not block inserts into the other partitions) and dropped; rows
    /// before the cutoff in the partition that straddles it are deleted in small batches. Safe
    /// to run while writers insert. A late row for a dropped month makes the writer create that
    /// partition again; the next prune removes it.
    ///
    /// - Parameter dryRun: count what would go, change nothing.
    /// - Throws: `StorageError` `.invalidInput` when `cutoff` is after `now`; `.busy` when another
    ///   prune holds the lock.
    public func prune(olderThan cutoff: Date, now: Date = Date(), dryRun: Bool = false) async throws -> PruneReport {
        guard cutoff <= now else {
            throw StorageError.invalidInput("the cutoff \(SQLTime.text(cutoff)) is in the future: give an age such as 90d")
        }
        let cutoffText = SQLTime.text(cutoff)
        let window = MonthPartition.window(from: now, count: Partitions.monthsAhead)
        return try await connection.run { session in
            let locked = try session.execute("SELECT pg_try_advisory_lock(\(Self.pruneLockKey))", operation: "prune: lock")
            guard locked.first?.first == "t" else {
                throw StorageError(code: .busy, operation: "prune: lock", message: "another prune is running",
                                  advice: "Wait for it to finish; running prune again afterwards is safe.")
            }
            defer { _ = try? session.execute("SELECT pg_advisory_unlock(\(Self.pruneLockKey))", operation: "prune: unlock") }

            // A detach interrupted earlier (connection lost) leaves the partition pending: finish it.
            if !dryRun {
                for row in try session.execute("""
                    SELECT i.inhrelid::regclass::text FROM pg_inherits i
                    WHERE i.inhparent = 'activity'::regclass AND i.inhdetachpending
                    """, operation: "prune: pending detaches") {
                    guard let name = row.first ?? nil else { continue }
                    try session.execute("ALTER TABLE activity DETACH PARTITION \(name) FINALIZE", operation: "prune: finalize \(name)")
                }
            }
            let partitions = try session.execute("""
                SELECT c.oid::regclass::text, c.relname,
                       coalesce(substring(pg_get_expr(c.relpartbound, c.oid) from 'TO \\(''([^'']+)''\\)')::timestamptz <= $1::timestamptz, false),
                       substring(pg_get_expr(c.relpartbound, c.oid) from 'FROM \\(''([^'']+)''\\)'),
                       substring(pg_get_expr(c.relpartbound, c.oid) from 'TO \\(''([^'']+)''\\)')
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'activity'::regclass ORDER BY c.relname
                """, parameters: [cutoffText], operation: "prune: list partitions")
            let hasRollup = try session.execute("SELECT to_regclass('activity_hourly') IS NOT NULL", operation: "prune: rollup").first?.first == "t"
            var dropped: [PruneReport.DroppedPartition] = []
            for row in partitions where row[2] == "t" {
                guard let qualified = row[0], let name = row[1] else { continue }
                let rows = try session.execute("SELECT count(*) FROM \(qualified)", operation: "prune: count \(name)")
                dropped.append(.init(name: name, rows: try RowCount.parse(rows.first?.first ?? nil, "prune: count \(name)")))
                guard !dryRun else { continue }
                // CONCURRENTLY: only a SHARE UPDATE EXCLUSIVE lock on `activity`, so writers go on.
                try session.execute("ALTER TABLE activity DETACH PARTITION \(qualified) CONCURRENTLY", operation: "prune: detach \(name)")
                // The drop and the rollup's hours of that month go together (no trigger fires on DROP).
                try session.execute("BEGIN", operation: "prune: drop \(name)")
                do {
                    try session.execute("DROP TABLE \(qualified)", operation: "prune: drop \(name)")
                    if hasRollup, let lower = row[3], let upper = row[4] {
                        try session.execute(
                            "DELETE FROM activity_hourly WHERE hour >= $1::timestamptz AND hour < $2::timestamptz",
                            parameters: [lower, upper], operation: "prune: rollup of \(name)")
                    }
                    try session.execute("COMMIT", operation: "prune: drop \(name)")
                } catch {
                    if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "prune: drop \(name)") }
                    throw error
                }
            }

            var deleted = 0
            if dryRun {
                let remaining = try session.execute(
                    "SELECT count(*) FROM activity WHERE occurred_at < $1::timestamptz", parameters: [cutoffText], operation: "prune: count rows")
                // Both are `RowCount`s (0 ... 2^48), so neither the sum nor the difference overflows.
                deleted = max(0, try RowCount.parse(remaining.first?.first ?? nil, "prune: count rows") - RowCount.sum(dropped.map(\.rows)))
            } else {
                deleted = try BatchDelete.run("""
                    WITH doomed AS (
                        SELECT id, occurred_at FROM activity WHERE occurred_at < $1::timestamptz LIMIT \(Self.deleteBatchSize)
                    ), removed AS (
                        DELETE FROM activity a USING doomed d WHERE a.id = d.id AND a.occurred_at = d.occurred_at RETURNING 1
                    )
                    SELECT count(*) FROM removed
                    """, parameters: [cutoffText], batchSize: Self.deleteBatchSize, operation: "prune: delete rows", session: session)
            }

            let existing = Set(partitions.compactMap { $0[1] })
            let missing = window.filter { !existing.contains($0.name) }
            if !dryRun, !missing.isEmpty {
                var creator = Partitions()
                try creator.ensure(Set(missing), session: session)
            }
            return PruneReport(
                cutoff: cutoff, dryRun: dryRun, droppedPartitions: dropped, deletedRows: deleted,
                createdPartitions: missing.map(\.name))
        }
    }
}
