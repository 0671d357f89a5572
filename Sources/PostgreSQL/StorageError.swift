/// Every failure of the storage side (this PostgreSQL layer, and the `Ingest` and `Analytics`
/// modules above it): what was being done, what PostgreSQL or the disk said, and a sentence saying
/// what to do about it. Modules above add codes of their own (`Ingest`: `.spool`, `.invalidRecord`).
///
/// Storage failures never reach a proxied HTTP client: the writer logs them, counts them and spools.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; stable, fit for a metric label.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// A code named `name`; modules above this one declare theirs as static members.
        package init(name: String) {
            self.name = name
        }

        /// PostgreSQL could not be reached, or the connection broke.
        public static let connection = Code(name: "connection")
        /// PostgreSQL ran the statement and refused it (see `sqlState`).
        public static let statement = Code(name: "statement")
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
    package static let noPartitionSQLState = "23514"

    package static func connection(_ operation: String, _ message: String) -> StorageError {
        StorageError(
            code: .connection, operation: operation, message: message,
            advice: "Check that PostgreSQL is running and that database.url (or the PG* variables) point to it; records are spooled meanwhile."
        )
    }
}
