import PostgreSQL

/// Deleting many rows as a series of short statements, each removing at most `batchSize`:
/// short transactions, so that writers and vacuum are never held up for long.
enum BatchDelete {
    /// Runs `sql` until it removes fewer than `batchSize` rows; returns the rows removed. `sql`
    /// must delete at most `batchSize` rows and answer one row holding how many it deleted.
    static func run(_ sql: String, parameters: [String?], batchSize: Int, operation: String, session: PostgresSession) throws(StorageError) -> Int {
        var total = 0
        while true {
            let rows = try session.execute(sql, parameters: parameters, operation: operation)
            let count = try RowCount.parse(rows.first?.first ?? nil, operation)
            total = RowCount.sum([total, count])
            if count < batchSize { return total }
        }
    }
}
