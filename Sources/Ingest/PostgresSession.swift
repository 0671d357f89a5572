import CLibPQ
import NIOCore

/// The synchronous face of one libpq connection, used only inside `PostgresConnection.run(_:)`,
/// that is, only on the connection's own thread. Not `Sendable`: it must never leave that thread.
final class PostgresSession {
    /// The libpq connection (`PGconn *`); owned, freed by `finish()`.
    private(set) var handle: OpaquePointer?

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Whether libpq still considers the connection usable.
    var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one or more statements without parameters; returns the rows of the last one, as text.
    @discardableResult
    func execute(_ sql: String, operation: String) throws(IngestError) -> [[String?]] {
        let handle = try liveHandle(operation)
        let result = PQexec(handle, sql)
        return try rows(of: result, operation: operation)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, ...); NULL for `nil`.
    @discardableResult
    func execute(_ sql: String, parameters: [String?], operation: String) throws(IngestError) -> [[String?]] {
        let handle = try liveHandle(operation)
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let values = copies.map { UnsafePointer<CChar>($0) }
        let result = values.withUnsafeBufferPointer { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers.baseAddress, nil, nil, 0)
        }
        return try rows(of: result, operation: operation)
    }

    /// Runs `COPY ... FROM STDIN` and sends `data` (already in the COPY format the statement names).
    func copyIn(_ sql: String, data: ByteBuffer, operation: String) throws(IngestError) {
        let handle = try liveHandle(operation)
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try rows(of: start, operation: operation)
            throw error(operation, result: nil, fallback: "the server did not enter COPY mode")
        }
        PQclear(start)
        // libpq takes an int length: send large batches in 1 MiB pieces.
        let chunk = 1 << 20
        var offset = 0
        let sent: Bool = data.withUnsafeReadableBytes { raw in
            while offset < raw.count {
                let length = min(chunk, raw.count - offset)
                let pointer = raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                guard PQputCopyData(handle, pointer, Int32(length)) == 1 else { return false }
                offset += length
            }
            return true
        }
        let ended = PQputCopyEnd(handle, sent ? nil : "client failed to send COPY data") == 1
        // Read every result until NULL, keeping the first error: the connection is reusable only then.
        var failure: IngestError?
        while let result = PQgetResult(handle) {
            if failure == nil, PQresultStatus(result) != PGRES_COMMAND_OK {
                failure = error(operation, result: result, fallback: "COPY failed")
            }
            PQclear(result)
        }
        if let failure { throw failure }
        guard sent, ended else { throw error(operation, result: nil, fallback: "COPY data could not be sent") }
    }

    /// Closes the connection. Idempotent.
    func finish() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    private func liveHandle(_ operation: String) throws(IngestError) -> OpaquePointer {
        guard let handle else { throw .connection(operation, "the connection is closed") }
        return handle
    }

    private func rows(of result: OpaquePointer?, operation: String) throws(IngestError) -> [[String?]] {
        guard let result else { throw error(operation, result: nil, fallback: "no result from the server") }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        case PGRES_TUPLES_OK:
            let rowCount = PQntuples(result)
            let columnCount = PQnfields(result)
            return (0..<rowCount).map { row in
                (0..<columnCount).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                }
            }
        default:
            throw error(operation, result: result, fallback: "the statement failed")
        }
    }

    /// Builds the error for a failed result: SQLSTATE and primary message from the server, or the
    /// connection's error when the server sent none (a broken connection).
    private func error(_ operation: String, result: OpaquePointer?, fallback: String) -> IngestError {
        let sqlState = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let primary = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
        let connectionMessage = handle.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? ""
        let message = (primary ?? connectionMessage).trimmingTrailingNewlines.nonEmpty ?? fallback
        if !isHealthy || sqlState.map(Self.isConnectionState) == true {
            var failure = IngestError.connection(operation, message)
            failure.sqlState = sqlState
            return failure
        }
        return IngestError(
            code: .statement, operation: operation, sqlState: sqlState, message: message,
            advice: sqlState.map(Self.advice) ?? "Check the PostgreSQL server log for this statement."
        )
    }

    /// SQLSTATEs after which this connection cannot be trusted: class 08 (connection exception),
    /// 57P01...57P03 (shutdown, crash, cannot connect now), 53 (insufficient resources).
    static func isConnectionState(_ sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53")
    }

    static func advice(for sqlState: String) -> String {
        if sqlState.hasPrefix("22") || sqlState.hasPrefix("23") || sqlState.hasPrefix("54") {
            return "The rows were isolated and moved to activity_dead_letter; fix what produced them."
        }
        if sqlState.hasPrefix("42") {
            return "The schema does not match this sidecar: run `trackingproxy db migrate` (or enable database.migrate_on_start)."
        }
        return "Check the PostgreSQL server log; the writer retries with backoff and spools meanwhile."
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }

    var nonEmpty: String? { isEmpty ? nil : self }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
