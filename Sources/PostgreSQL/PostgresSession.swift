import CLibPQ
import NIOCore

/// The synchronous face of one libpq connection, used only inside `PostgresConnection.run(_:)`,
/// that is, only on the connection's own thread. Not `Sendable`: it must never leave that thread.
package final class PostgresSession {
    /// The libpq connection (`PGconn *`); owned, freed by `finish()`.
    private(set) var handle: OpaquePointer?

    package init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Whether libpq still considers the connection usable.
    package var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Runs one or more statements without parameters; returns the rows of the last one, as text.
    @discardableResult
    package func execute(_ sql: String, operation: String) throws(StorageError) -> [[String?]] {
        let handle = try liveHandle(operation)
        let result = PQexec(handle, sql)
        return try rows(of: result, operation: operation)
    }

    /// Runs several statements in one round trip and returns the number of rows the first one
    /// affected (`INSERT 0 n`: n). Reads every result; the first error is thrown.
    package func executeCountingFirst(_ sql: String, operation: String) throws(StorageError) -> Int {
        let handle = try liveHandle(operation)
        guard PQsendQuery(handle, sql) == 1 else { throw error(operation, result: nil, fallback: "the statement could not be sent") }
        var count: Int?
        try readResults(handle, operation: operation, fallback: "the statement failed") { result in
            if count == nil { count = Int(String(cString: PQcmdTuples(result))) ?? 0 }
        }
        return count ?? 0
    }

    /// Runs one statement with text parameters (`$1`, `$2`, ...); NULL for `nil`.
    @discardableResult
    package func execute(_ sql: String, parameters: [String?], operation: String) throws(StorageError) -> [[String?]] {
        let handle = try liveHandle(operation)
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let values = copies.map { UnsafePointer<CChar>($0) }
        let result = values.withUnsafeBufferPointer { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers.baseAddress, nil, nil, 0)
        }
        return try rows(of: result, operation: operation)
    }

    /// Runs `COPY ... FROM STDIN`, streaming what `produce` writes into the `CopyInStream` it is
    /// given (in the COPY format the statement names): the stream sends its buffer whenever it
    /// holds `CopyInStream.sendThreshold` bytes, so the server parses the first rows while the
    /// rest are still being encoded.
    ///
    /// - Throws: the server's error when it refused the data (the connection stays usable), or a
    ///   connection error when the data could not be sent.
    package func copyIn(_ sql: String, operation: String, produce: (inout CopyInStream) -> Void) throws(StorageError) {
        let handle = try liveHandle(operation)
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try rows(of: start, operation: operation)
            throw error(operation, result: nil, fallback: "the server did not enter COPY mode")
        }
        PQclear(start)
        var stream = CopyInStream(handle: handle)
        produce(&stream)
        stream.send()
        let ended = PQputCopyEnd(handle, stream.failed ? "client failed to send COPY data" : nil) == 1
        try readResults(handle, operation: operation, fallback: "COPY failed")
        guard !stream.failed, ended else { throw error(operation, result: nil, fallback: "COPY data could not be sent") }
    }

    /// Reads every pending result until libpq returns NULL (the connection is reusable only then),
    /// showing each to `inspect`, and throws the first that is neither COMMAND_OK nor TUPLES_OK.
    private func readResults(
        _ handle: OpaquePointer, operation: String, fallback: String, inspect: (OpaquePointer) -> Void = { _ in }
    ) throws(StorageError) {
        var failure: StorageError?
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if failure == nil, status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK {
                failure = error(operation, result: result, fallback: fallback)
            }
            inspect(result)
            PQclear(result)
        }
        if let failure { throw failure }
    }

    /// Closes the connection. Idempotent.
    package func finish() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    private func liveHandle(_ operation: String) throws(StorageError) -> OpaquePointer {
        guard let handle else { throw .connection(operation, "the connection is closed") }
        return handle
    }

    private func rows(of result: OpaquePointer?, operation: String) throws(StorageError) -> [[String?]] {
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
    private func error(_ operation: String, result: OpaquePointer?, fallback: String) -> StorageError {
        let sqlState = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let primary = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
        let connectionMessage = handle.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? ""
        let message = (primary ?? connectionMessage).trimmingTrailingNewlines.nonEmpty ?? fallback
        if !isHealthy || sqlState.map(Self.isConnectionState) == true {
            var failure = StorageError.connection(operation, message)
            failure.sqlState = sqlState
            return failure
        }
        return StorageError(
            code: .statement, operation: operation, sqlState: sqlState, message: message,
            advice: sqlState.map(Self.advice) ?? "Check the PostgreSQL server log for this statement."
        )
    }

    /// SQLSTATEs after which this connection cannot be trusted: class 08 (connection exception),
    /// 57P01...57P03 (shutdown, crash, cannot connect now), 53 (insufficient resources).
    package static func isConnectionState(_ sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53")
    }

    package static func advice(for sqlState: String) -> String {
        if sqlState.hasPrefix("22") || sqlState.hasPrefix("23") || sqlState.hasPrefix("54") {
            return "The rows were isolated and moved to activity_dead_letter; fix what produced them."
        }
        if sqlState.hasPrefix("42") {
            return "The schema does not match this sidecar: run `trackingproxy db migrate` (or enable database.migrate_on_start)."
        }
        return "Check the PostgreSQL server log; the writer retries with backoff and spools meanwhile."
    }
}

/// The data side of a `COPY ... FROM STDIN` in progress (see `PostgresSession.copyIn`): append
/// to `buffer`, then call `sendIfFull()`. Lives only inside that call, on the connection's thread.
package struct CopyInStream: ~Copyable {
    /// Bytes buffered before they go to libpq: large enough that the per-call cost vanishes,
    /// small enough that the server starts on the first rows early and memory stays flat.
    package static let sendThreshold = 64 * 1024

    private let handle: OpaquePointer
    /// Where the producer appends COPY data.
    package var buffer: ByteBuffer
    /// Whether libpq refused data; the COPY is then ended with an error.
    private(set) var failed = false

    fileprivate init(handle: OpaquePointer) {
        self.handle = handle
        self.buffer = ByteBuffer()
        buffer.reserveCapacity(Self.sendThreshold + 4096)
    }

    /// Sends the buffer when it holds at least `sendThreshold` bytes.
    package mutating func sendIfFull() {
        if buffer.readableBytes >= Self.sendThreshold { send() }
    }

    /// Hands everything buffered to libpq (which writes it to the socket) and empties the buffer.
    fileprivate mutating func send() {
        guard !failed, buffer.readableBytes > 0 else { return }
        let handle = self.handle
        // libpq takes an int length; the buffer stays far below that unless one row is huge,
        // so pieces of at most 1 MiB.
        let sent: Bool = buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let length = min(1 << 20, raw.count - offset)
                let pointer = raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
                guard PQputCopyData(handle, pointer, Int32(length)) == 1 else { return false }
                offset += length
            }
            return true
        }
        failed = !sent
        buffer.clear()
    }
}

extension String {
    package var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }

    package var nonEmpty: String? { isEmpty ? nil : self }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
