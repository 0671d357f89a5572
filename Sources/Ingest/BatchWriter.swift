import Foundation
import NIOCore
import PostgreSQL

/// Writes batches of records on one connection: binary `COPY` into a temporary staging table,
/// then `INSERT INTO activity SELECT ... ON CONFLICT DO NOTHING` in the same transaction, so that
/// replaying a batch never duplicates rows. A batch refused for its data is split in halves until
/// the bad rows are isolated; those go to `activity_dead_letter`.
///
/// Fast path (`direct`): most batches hold no stored rows (fresh UUIDv7 ids; spooled records that
/// were never written), so they are copied straight into `activity`, half the server's work.
/// Should one hold a stored row (a replay of rows that were committed after all), the primary key
/// refuses the COPY (23505) and the batch goes through the staging table. Such rows come as whole
/// batches that committed, so the refusal usually comes at the first row and costs little.
///
/// Used only on its connection's thread (inside `PostgresConnection.run`), one call at a time;
/// `@unchecked Sendable` only lets it be captured by those closures.
final class BatchWriter: @unchecked Sendable {
    static let stagingTable = "activity_staging"
    private var partitions = Partitions()
    private let synchronousCommit: IngestConfiguration.SynchronousCommit

    init(synchronousCommit: IngestConfiguration.SynchronousCommit) {
        self.synchronousCommit = synchronousCommit
    }

    /// Sets up the session: `synchronous_commit`, the staging table, the partitions ahead.
    func prepare(_ session: PostgresSession) throws(StorageError) {
        try session.execute("SET synchronous_commit = \(synchronousCommit.rawValue)", operation: "prepare session")
        try session.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS \(Self.stagingTable) (LIKE activity INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
            operation: "prepare session"
        )
        try partitions.ensure(Set(MonthPartition.window(from: Date(), count: Partitions.monthsAhead)), session: session)
    }

    /// Writes `records`; `durable` forces `synchronous_commit = on` for this batch (spool replay:
    /// a segment is deleted only after its rows are on disk).
    ///
    /// - Throws: `StorageError` for anything but refused data (connection lost, schema missing);
    ///   the caller keeps the records and retries later.
    func write(_ records: [EncodedActivity], durable: Bool, direct: Bool = false, session: PostgresSession) throws(StorageError) -> BatchOutcome {
        guard !records.isEmpty else { return BatchOutcome() }
        try partitions.ensure(Set(records.map { MonthPartition(containing: $0.occurredAt) }), session: session)
        var outcome = BatchOutcome()
        try writeSplitting(records[...], durable: durable, direct: direct, session: session, outcome: &outcome)
        return outcome
    }

    private func writeSplitting(_ records: ArraySlice<EncodedActivity>, durable: Bool, direct: Bool, session: PostgresSession, outcome: inout BatchOutcome) throws(StorageError) {
        do {
            outcome.written += try writeOnce(records, durable: durable, direct: direct, session: session)
        } catch where direct && error.sqlState == Self.uniqueViolation {
            // Some rows are stored already: go through the staging table, which skips them.
            try writeSplitting(records, durable: durable, direct: false, session: session, outcome: &outcome)
        } catch where error.sqlState == StorageError.noPartitionSQLState {
            // A partition was dropped behind our back: create it again and retry once.
            partitions.forget()
            try partitions.ensure(Set(records.map { MonthPartition(containing: $0.occurredAt) }), session: session)
            outcome.written += try writeOnce(records, durable: durable, direct: false, session: session)
        } catch where error.isDataError {
            guard records.count > 1 else {
                guard let row = records.first else { return }
                // The dead letter is the record read back from the row's tuple (times to the
                // microsecond, addresses in PostgreSQL's form). A tuple that does not read back
                // cannot be one written by `EncodedActivity`; it is counted as lost, not hidden.
                if let record = row.record, try deadLetter(record, error: error, session: session) {
                    outcome.deadLettered.append((record, error))
                } else {
                    outcome.lost += 1
                }
                return
            }
            let middle = records.startIndex + records.count / 2
            try writeSplitting(records[..<middle], durable: durable, direct: direct, session: session, outcome: &outcome)
            try writeSplitting(records[middle...], durable: durable, direct: direct, session: session, outcome: &outcome)
        }
    }

    static let uniqueViolation = "23505"

    /// Writes `records` in one transaction; returns how many rows were added.
    private func writeOnce(_ records: ArraySlice<EncodedActivity>, durable: Bool, direct: Bool, session: PostgresSession) throws(StorageError) -> Int {
        // Encoded while it is sent: the server works on the first rows meanwhile.
        let encode = { (stream: inout CopyInStream) in
            BinaryCopyFormat.writeHeader(into: &stream.buffer)
            // The rows are tuples already: the batch is their bytes, in order.
            for index in records.indices {
                stream.buffer.writeImmutableBuffer(records[index].tuple)
                stream.sendIfFull()
            }
            BinaryCopyFormat.writeTrailer(into: &stream.buffer)
        }
        let columns = BinaryCopyFormat.columnList
        if direct && !durable {
            // One statement, its own transaction: nothing to roll back on failure. Always into the
            // partitioned table itself, never straight into a month's partition: the statement
            // triggers that keep `activity_hourly` exact fire only for statements on `activity`.
            try session.copyIn("COPY activity (\(columns)) FROM STDIN (FORMAT binary)", operation: "copy batch", produce: encode)
            return records.count
        }
        do {
            try session.execute(durable ? "BEGIN; SET LOCAL synchronous_commit = on" : "BEGIN", operation: "begin batch")
            if direct {
                try session.copyIn("COPY activity (\(columns)) FROM STDIN (FORMAT binary)", operation: "copy batch", produce: encode)
                try session.execute("COMMIT", operation: "commit batch")
                return records.count
            }
            try session.copyIn("COPY \(Self.stagingTable) (\(columns)) FROM STDIN (FORMAT binary)", operation: "copy batch", produce: encode)
            // One round trip for both: if the INSERT fails, the COMMIT is not run and the
            // transaction is rolled back below.
            return try session.executeCountingFirst(
                "INSERT INTO activity (\(columns)) SELECT \(columns) FROM \(Self.stagingTable) ON CONFLICT DO NOTHING; COMMIT",
                operation: "insert batch"
            )
        } catch {
            if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "roll back batch") }
            throw error
        }
    }

    /// Stores a refused record in `activity_dead_letter` as JSON text with the error. Returns
    /// false when PostgreSQL refused that too (the record is then lost, and counted); throws when
    /// the connection broke (the caller keeps the batch).
    private func deadLetter(_ record: ActivityRecord, error: StorageError, session: PostgresSession) throws(StorageError) -> Bool {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let occurredAt = ISO8601DateFormatter().string(from: record.occurredAt)
        do {
            try session.execute(
                "INSERT INTO activity_dead_letter (id, occurred_at, record, sqlstate, error) VALUES ($1, $2, $3, $4, $5)",
                parameters: [record.id.uuidString, occurredAt, json, error.sqlState, "\(error.operation): \(error.message)"],
                operation: "dead-letter row"
            )
            return true
        } catch {
            guard session.isHealthy else { throw error }
            return false
        }
    }
}
