import Foundation
import PostgreSQL

extension ActivityStore {
    /// Rows deleted per statement: short transactions, so that the sidecars' inserts never wait long.
    static let systemMetricsDeleteBatch = 10_000

    /// Removes `system_metrics` rows whose minute is before `cutoff` (in batches), or counts them.
    public func pruneSystemMetrics(olderThan cutoff: Date, dryRun: Bool) async throws -> JobReport {
        let cutoffText = SQLTime.text(cutoff)
        let removed = try await connection.run { session -> Int in
            if dryRun {
                let rows = try session.execute("SELECT count(*) FROM system_metrics WHERE minute < $1::timestamptz",
                                               parameters: [cutoffText], operation: "system-metrics-retention: count")
                return try RowCount.parse(rows.first?.first ?? nil, "system-metrics-retention: count")
            }
            return try BatchDelete.run("""
                WITH doomed AS (
                    SELECT minute, instance_id FROM system_metrics WHERE minute < $1::timestamptz LIMIT \(Self.systemMetricsDeleteBatch)
                ), removed AS (
                    DELETE FROM system_metrics m USING doomed d WHERE m.minute = d.minute AND m.instance_id = d.instance_id RETURNING 1
                )
                SELECT count(*) FROM removed
                """, parameters: [cutoffText], batchSize: Self.systemMetricsDeleteBatch, operation: "system-metrics-retention: delete", session: session)
        }
        let verb = dryRun ? "would remove" : "removed"
        return JobReport(summary: "\(verb) \(removed) system_metrics rows older than \(SQLTime.text(cutoff))",
                         figures: [.init("removed_rows", removed)])
    }
}
