extension StorageError {
    /// The failure as `/status` shows it: a short class and, when known, the SQLSTATE, e.g.
    /// `authentication failed (SQLSTATE 28P01)` or `connection refused`. Never the text of
    /// PostgreSQL or libpq, which names hosts, ports, users and databases; logs keep that.
    public var statusSummary: String {
        let state = sqlState.flatMap(Self.checkedSQLState) ?? Self.inferredSQLState(message.lowercased())
        let kind = failureClass(sqlState: state, message: message.lowercased())
        return state.map { "\(kind) (SQLSTATE \($0))" } ?? kind
    }

    /// A SQLSTATE as the server sent it: five ASCII letters or digits, else dropped.
    private static func checkedSQLState(_ text: String) -> String? {
        text.utf8.count == 5 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) } ? text : nil
    }

    /// libpq reports a refused connection start without a result, so without the SQLSTATE the
    /// server sent: recognise the server's fixed words for the common ones.
    private static func inferredSQLState(_ message: String) -> String? {
        if message.contains("password authentication failed") { return "28P01" }
        if message.contains("no pg_hba.conf entry") || (message.contains("role \"") && message.contains("does not exist")) { return "28000" }
        if message.contains("database \"") && message.contains("does not exist") { return "3D000" }
        if message.contains("too many clients") || message.contains("too many connections") { return "53300" }
        if message.contains("the database system is") { return "57P03" }
        return nil
    }

    private func failureClass(sqlState: String?, message: String) -> String {
        switch sqlState?.prefix(2) {
        case "28": return "authentication failed"
        case "3D": return "database does not exist"
        case "08": return "connection failed"
        case "53": return "server out of resources"
        case "57": return "server not accepting connections"
        case "42": return "schema problem"
        default: break
        }
        if message.contains("timeout expired") || message.contains("timed out") { return "connection timed out" }
        if message.contains("could not translate host name") { return "host name not resolved" }
        if message.contains("connection refused") { return "connection refused" }
        if message.contains("ssl") { return "TLS failed" }
        switch code {
        case .connection: return "connection failed"
        case .statement: return "statement failed"
        case .migration: return "migration failed"
        default: return "\(code.name) failed"
        }
    }
}
