import Foundation
import NIOCore
import PostgreSQL

/// `trackingproxy db import-legacy`: copies the old middleware's `user_activity` rows (Django
/// `UserActivity`) from a source database into `activity`, in batches.
///
/// - Order and batches: the source is read by keyset on (`timestamp`, `id`), `batchSize` rows at
///   a time; no transaction stays open on the source between batches.
/// - Idempotent by id: a row whose `id` is in `activity` already (any time) is not inserted
///   again, so a rerun adds nothing and an import stopped half way, run again, reaches the same
///   end state (it reads the source from the start and skips what is there; each batch commits
///   on its own).
/// - Each batch goes through COPY (text format) into a temporary staging table and one
///   `INSERT ... SELECT` into `activity` (so the `activity_hourly` triggers count the rows), with
///   `rule_id = 'legacy-import'`, `ip_verified = false`, and the month partitions it needs created
///   first (`Partitions.ensure`). Should PostgreSQL refuse a batch's data, its rows are inserted
///   one by one and the refused ones reported; the import goes on.
/// - Hostile rows: repaired or refused as `LegacyRow` says; never a crash.
///
/// The source session runs in UTC: a `timestamp without time zone` column is read as UTC.
public struct LegacyImport: Sendable {
    /// The source table, `name` or `schema.name` (letters, digits, underscores).
    public let table: String
    /// Only rows at or after this time; nil: all.
    public let since: Date?
    /// Source rows per batch.
    public let batchSize: Int

    public static let ruleID = "legacy-import"
    static let stagingTable = "legacy_import_staging"
    /// Refused rows listed by id in the report; the rest are counted.
    static let listedRefusals = 20

    /// - Throws: `StorageError` `.invalidInput` for a table name that is not an identifier.
    public init(table: String = "user_activity", since: Date? = nil, batchSize: Int = 5_000) throws(StorageError) {
        let parts = table.split(separator: ".", omittingEmptySubsequences: false)
        func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F }
        let valid = (1...2).contains(parts.count) && parts.allSatisfy { part in
            guard let first = part.utf8.first, isLetter(first), part.utf8.count <= 63 else { return false }
            return part.utf8.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) }
        }
        guard valid else {
            throw .invalidInput("\(InputQuote.quote(table)) is not a table name: give name or schema.name (letters, digits, underscores)")
        }
        precondition(batchSize > 0, "a batch holds at least one row")
        self.table = table
        self.since = since
        self.batchSize = batchSize
    }

    /// The table as SQL: each part double-quoted.
    var quotedTable: String { table.split(separator: ".").map { "\"\($0)\"" }.joined(separator: ".") }

    /// After each batch: what was done so far.
    public struct Progress: Sendable {
        public var batches = 0
        public var read = 0
        public var imported = 0
        public var alreadyPresent = 0
        public var refused = 0
        public var repaired = 0
        /// The `timestamp` of the last row read (UTC text).
        public var position: String?

        public var line: String {
            "batch \(batches): read \(read) rows up to \(position ?? "-"): imported \(imported), already present \(alreadyPresent), repaired \(repaired), refused \(refused)"
        }
    }

    /// What the import did.
    public struct Report: Sendable {
        public var progress: Progress
        /// Rows imported per month (`YYYY-MM`, UTC), in month order.
        public var importedPerMonth: [(month: String, rows: Int)]
        /// The first refused rows (id, reason).
        public var refusals: [(id: String?, reason: String)]
    }

    /// Runs the import from `source` into `destination`; `progress` is called after every batch
    /// (committed); what it throws stops the import there, as an interruption would.
    public func run(source: PostgresConnection, destination: PostgresConnection, progress report: (Progress) throws -> Void) async throws -> Report {
        try await source.execute("SET TIME ZONE 'UTC'", operation: "import-legacy: source time zone")
        try await destination.execute("""
            CREATE TEMPORARY TABLE IF NOT EXISTS \(Self.stagingTable) (
                id uuid, occurred_at timestamptz, user_id text, activity_type text, description text,
                ip_address inet, user_agent text, metadata text, repairs jsonb)
            """, operation: "import-legacy: staging table")
        var progress = Progress()
        var perMonth: [String: Int] = [:]
        var refusals: [(id: String?, reason: String)] = []
        func refuse(_ refusal: Refusal) {
            progress.refused += 1
            if refusals.count < Self.listedRefusals { refusals.append((refusal.id, refusal.reason)) }
        }
        // Rows the keyset never reaches (NULL id or timestamp) are counted once, up front.
        let sinceText = since.map(SQLTime.text)
        let unreachable = try await source.execute(
            "SELECT count(*) FROM \(quotedTable) WHERE id IS NULL OR \"timestamp\" IS NULL", operation: "import-legacy: rows without id or timestamp")
        let withoutKey = try RowCount.parse(unreachable.first?.first ?? nil, "import-legacy: count")
        if withoutKey > 0 {
            refuse(Refusal(id: nil, reason: "\(withoutKey) rows without an id or a timestamp"))
            progress.refused += withoutKey - 1
        }
        var after: (timestamp: String, id: String)?
        var partitions = Partitions()
        while true {
            var conditions: [String] = []
            var parameters: [String?] = []
            if let sinceText {
                parameters.append(sinceText)
                conditions.append("\"timestamp\" >= $\(parameters.count)")
            }
            if let after {
                parameters.append(after.timestamp)
                parameters.append(after.id)
                conditions.append("(\"timestamp\", id) > ($\(parameters.count - 1), $\(parameters.count))")
            }
            conditions.append("id IS NOT NULL AND \"timestamp\" IS NOT NULL")
            let rows = try await source.execute(
                "SELECT \(LegacyRow.selectList) FROM \(quotedTable) WHERE \(conditions.joined(separator: " AND ")) ORDER BY \"timestamp\", id LIMIT \(batchSize)",
                parameters: parameters, operation: "import-legacy: read batch")
            guard let last = rows.last else { break }
            // Keyset on the source's own values (id as text, timestamp as UTC text), parsed or not.
            after = (last[7] ?? "", last[0] ?? "")
            var batch: [LegacyRow] = []
            for row in rows {
                switch LegacyRow.parse(row) {
                case .success(let parsed):
                    batch.append(parsed)
                    if !parsed.repairs.isEmpty { progress.repaired += 1 }
                case .failure(let refusal):
                    refuse(refusal)
                }
            }
            let months = Set(batch.map { MonthPartition(containing: $0.occurredAt) })
            let outcome = try await destination.run { [batch, partitions] session in
                var partitions = partitions
                try partitions.ensure(months, session: session)
                return (try Self.write(batch, session: session), partitions)
            }
            partitions = outcome.1
            for (month, count) in outcome.0.imported { perMonth[month, default: 0] += count }
            progress.imported += outcome.0.imported.values.reduce(0, +)
            progress.alreadyPresent += outcome.0.alreadyPresent
            for refusal in outcome.0.refused { refuse(refusal) }
            progress.batches += 1
            progress.read += rows.count
            progress.position = last[7]
            try report(progress)
            if rows.count < batchSize { break }
        }
        return Report(progress: progress, importedPerMonth: perMonth.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, refusals: refusals)
    }

    /// What writing one batch did.
    struct BatchResult: Sendable {
        var imported: [String: Int] = [:]
        var alreadyPresent = 0
        var refused: [Refusal] = []
    }

    static let insert = """
        WITH inserted AS (
            INSERT INTO activity (id, occurred_at, user_id, activity_type, description, ip_address, user_agent, metadata, ip_verified, rule_id)
            SELECT s.id, s.occurred_at, s.user_id, s.activity_type, s.description, s.ip_address, s.user_agent,
                   CASE WHEN s.repairs IS NULL THEN m.value ELSE m.value || jsonb_build_object('legacy_repairs', s.repairs) END,
                   false, '\(ruleID)'
            FROM \(stagingTable) s
            CROSS JOIN LATERAL (SELECT CASE coalesce(jsonb_typeof(s.metadata::jsonb), 'null')
                                       WHEN 'object' THEN s.metadata::jsonb
                                       WHEN 'null' THEN '{}'::jsonb
                                       ELSE jsonb_build_object('legacy_metadata', s.metadata::jsonb) END AS value) m
            WHERE s.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.id = s.id)
            ON CONFLICT DO NOTHING
            RETURNING occurred_at
        )
        SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM'), count(*) FROM inserted GROUP BY 1
        """

    /// Writes `batch` in one transaction; when PostgreSQL refuses its data, row by row.
    static func write(_ batch: [LegacyRow], session: PostgresSession) throws(StorageError) -> BatchResult {
        guard !batch.isEmpty else { return BatchResult() }
        do {
            try session.execute("BEGIN; TRUNCATE \(stagingTable)", operation: "import-legacy: begin")
            try copy(batch[...], session: session)
            let result = try counted(try session.execute(insert, operation: "import-legacy: insert"), of: batch.count)
            try session.execute("COMMIT", operation: "import-legacy: commit")
            return result
        } catch where error.isDataError || error.sqlState?.hasPrefix("22") == true {
            _ = try? session.execute("ROLLBACK", operation: "import-legacy: roll back")
        } catch {
            if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "import-legacy: roll back") }
            throw error
        }
        // Row by row: each its own transaction; the refused ones are reported with PostgreSQL's reason.
        var total = BatchResult()
        for row in batch {
            do {
                try session.execute("BEGIN; TRUNCATE \(stagingTable)", operation: "import-legacy: begin row")
                try copy([row][...], session: session)
                let result = try counted(try session.execute(insert, operation: "import-legacy: insert row"), of: 1)
                try session.execute("COMMIT", operation: "import-legacy: commit row")
                for (month, count) in result.imported { total.imported[month, default: 0] += count }
                total.alreadyPresent += result.alreadyPresent
            } catch {
                guard session.isHealthy else { throw error }
                _ = try? session.execute("ROLLBACK", operation: "import-legacy: roll back row")
                total.refused.append(Refusal(id: row.id, reason: "PostgreSQL refused it: \(error.message)"))
            }
        }
        return total
    }

    private static func copy(_ rows: ArraySlice<LegacyRow>, session: PostgresSession) throws(StorageError) {
        try session.copyIn("COPY \(stagingTable) (id, occurred_at, user_id, activity_type, description, ip_address, user_agent, metadata, repairs) FROM STDIN",
                           operation: "import-legacy: copy") { stream in
            for row in rows {
                stream.buffer.writeString(row.copyLine())
                stream.sendIfFull()
            }
        }
    }

    private static func counted(_ rows: [[String?]], of total: Int) throws(StorageError) -> BatchResult {
        var result = BatchResult()
        for row in rows where row.count == 2 {
            guard let month = row[0] else { continue }
            result.imported[month] = try RowCount.parse(row[1], "import-legacy: insert")
        }
        result.alreadyPresent = max(0, total - RowCount.sum(result.imported.values))
        return result
    }
}
