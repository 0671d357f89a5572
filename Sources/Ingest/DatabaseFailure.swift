import PostgreSQL

/// Why a connection attempt, a write or a heartbeat failed, classified for the writer's loop.
///
/// Refused rows are not failures here: the batch writer dead-letters them and the write succeeds.
struct DatabaseFailure: Sendable, Equatable, Error {
    enum Kind: Sendable, Equatable {
        /// PostgreSQL could not be reached or the connection broke: reconnect.
        case connection
        /// PostgreSQL refused a statement (a table missing, a permission): reconnect, migrating
        /// again first when `database.migrate_on_start`.
        case statement
        /// Anything else (a migration that failed, an error of another module).
        case other
    }

    var kind: Kind
    /// The class and SQLSTATE for `/status` (`StorageError.statusSummary`), never server text.
    var summary: String
    /// The whole error, for the log.
    var detail: String

    init(kind: Kind, summary: String, detail: String) {
        self.kind = kind
        self.summary = summary
        self.detail = detail
    }

    init(_ error: any Error) {
        guard let error = error as? StorageError else {
            self.init(kind: .other, summary: "connection failed", detail: "\(error)")
            return
        }
        let kind: Kind = switch error.code {
        case .connection: .connection
        case .statement: .statement
        default: .other
        }
        self.init(kind: kind, summary: error.statusSummary, detail: error.description)
    }
}
