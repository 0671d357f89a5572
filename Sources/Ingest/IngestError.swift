/// Every failure the `Ingest` module reports: what was being done, what PostgreSQL or the disk said,
/// and a sentence saying what to do about it.
///
/// Ingest failures never reach an HTTP client: the writer logs them, counts them and spools.
public struct IngestError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; stable, fit for a metric label.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// PostgreSQL could not be reached, or the connection broke.
        public static let connection = Code(name: "connection")
        /// PostgreSQL ran the statement and refused it (see `sqlState`).
        public static let statement = Code(name: "statement")
        /// A record was rejected before it was queued.
        public static let invalidRecord = Code(name: "invalid_record")
        /// The spool directory or one of its files could not be used.
        public static let spool = Code(name: "spool")
        /// The schema could not be migrated.
        public static let migration = Code(name: "migration")
        /// A configuration value is out of range.
        public static let configuration = Code(name: "configuration")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What was being done, e.g. `"connect"`, `"copy batch"`, `"migration 1"`, `"spool append"`.
    public var operation: String
    /// PostgreSQL's SQLSTATE, when the server sent one (e.g. `"22P05"`).
    public var sqlState: String?
    /// What went wrong, in the words of PostgreSQL, the system or this module. Never holds a password.
    public var message: String
    /// What to do about it, as one sentence.
    public var advice: String

    public init(code: Code, operation: String, sqlState: String? = nil, message: String, advice: String) {
        self.code = code
        self.operation = operation
        self.sqlState = sqlState
        self.message = message
        self.advice = advice
    }

    /// A short, bounded description fit for a metric label: code and SQLSTATE only.
    public var shortDescription: String {
        if let sqlState { return "\(code.name):\(sqlState)" }
        return code.name
    }

    public var description: String {
        let state = sqlState.map { " [SQLSTATE \($0)]" } ?? ""
        return "ingest \(code.name) error during \(operation)\(state): \(message). \(advice)"
    }

    /// True when the data of a batch was refused: SQLSTATE classes 22 (data exception), 23
    /// (integrity constraint, except 23514 "no partition", which the writer repairs) and 54
    /// (program limit exceeded, e.g. a value too large for an index). Retrying the same rows
    /// cannot succeed, so the batch is split and the bad rows dead-lettered.
    public var isDataError: Bool {
        guard code == .statement, let sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("54")
            || (sqlState.hasPrefix("23") && sqlState != Self.noPartitionSQLState)
    }

    /// SQLSTATE 23514 (check_violation), which PostgreSQL also raises when no partition accepts a row.
    static let noPartitionSQLState = "23514"

    static func connection(_ operation: String, _ message: String) -> IngestError {
        IngestError(
            code: .connection, operation: operation, message: message,
            advice: "Check that PostgreSQL is running and that database.url (or the PG* variables) point to it; records are spooled meanwhile."
        )
    }

    static func invalidRecord(_ message: String) -> IngestError {
        IngestError(
            code: .invalidRecord, operation: "validate record", message: message,
            advice: "Fix the value where the record is built; this record was not stored."
        )
    }

    static func spool(_ operation: String, path: String, errno code: Int32) -> IngestError {
        IngestError(
            code: .spool, operation: operation, message: "\(path): \(String(cString: strerror(code)))",
            advice: "Check that spool.dir exists, is writable by this process and that its disk has space."
        )
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
