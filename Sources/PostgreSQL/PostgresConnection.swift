import CLibPQ
import ConfigValues
import Logging
import NIOPosix

/// One libpq connection with its own thread.
///
/// libpq blocks, so every call runs on a dedicated `NIOThreadPool` of one thread, owned by this
/// connection: never on a NIO event loop, never on the Swift cooperative pool.
///
/// `@unchecked Sendable` is safe because the only mutable state, the `PostgresSession` (and the
/// `PGconn *` inside it), is touched only by closures submitted to `threadPool`, which has exactly
/// one thread and runs them one after another. The other stored properties are immutable.
public final class PostgresConnection: @unchecked Sendable {
    private let threadPool: NIOThreadPool
    private let session: PostgresSession
    /// `user@host:port/database`, for logs. Never holds a password.
    public let target: String

    private init(threadPool: NIOThreadPool, session: PostgresSession, target: String) {
        self.threadPool = threadPool
        self.session = session
        self.target = target
    }

    /// Connects with a libpq conninfo string or `postgresql://` URI (multi-host URIs with
    /// `target_session_attrs=read-write` fail over as libpq does), or, when `url` is `nil`, with
    /// the standard `PG*` environment variables and `~/.pgpass`.
    ///
    /// - Throws: `StorageError` with code `.connection` when PostgreSQL cannot be reached.
    public static func connect(
        url: Secret?,
        connectTimeout: ConfigDuration = .seconds(5),
        applicationName: String = "trackingproxy"
    ) async throws -> PostgresConnection {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let timeout = String(max(2, Int(connectTimeout.seconds.rounded(.up))))
        let urlText = url?.value
        do {
            let (session, target) = try await threadPool.runIfActive { () throws -> (UncheckedSession, String) in
                // Keepalives and a TCP user timeout: a database host that vanishes from the network
                // fails the blocking call within about half a minute instead of TCP's many minutes.
                // Listed before `dbname`, so that values in the URL win.
                var keywords = ["fallback_application_name", "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"]
                var values = [applicationName, timeout, "1", "10", "5", "3", "30000"]
                if let urlText, !urlText.isEmpty {
                    keywords.append("dbname")
                    values.append(urlText)
                }
                let handle = withCStrings(keywords) { keywordPointers in
                    withCStrings(values) { valuePointers in
                        PQconnectdbParams(keywordPointers, valuePointers, 1)
                    }
                }
                guard let handle else { throw StorageError.connection("connect", "libpq could not allocate a connection") }
                guard PQstatus(handle) == CONNECTION_OK else {
                    let message = String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
                    PQfinish(handle)
                    throw StorageError.connection("connect", message)
                }
                // Notices ("relation already exists, skipping") would go to stderr: drop them.
                PQsetNoticeProcessor(handle, { _, _ in }, nil)
                let user = String(cString: PQuser(handle))
                let host = String(cString: PQhost(handle))
                let port = String(cString: PQport(handle))
                let database = String(cString: PQdb(handle))
                return (UncheckedSession(session: PostgresSession(handle: handle)), "\(user)@\(host):\(port)/\(database)")
            }
            return PostgresConnection(threadPool: threadPool, session: session.session, target: target)
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    /// Runs `body` on the connection's thread with the synchronous session. Keep `body` to libpq
    /// calls and cheap work: it holds the connection's only thread.
    package func run<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        let session = UncheckedSession(session: self.session)
        return try await threadPool.runToCompletion { try body(session.session) }
    }

    /// Runs SQL without parameters and returns the last statement's rows, as text.
    @discardableResult
    public func execute(_ sql: String, operation: String = "query") async throws -> [[String?]] {
        try await run { try $0.execute(sql, operation: operation) }
    }

    /// Runs one statement with text parameters (`$1`, ...) and returns its rows, as text.
    @discardableResult
    public func execute(_ sql: String, parameters: [String?], operation: String = "query") async throws -> [[String?]] {
        try await run { try $0.execute(sql, parameters: parameters, operation: operation) }
    }

    /// Whether the connection was usable after its last call.
    public func isHealthy() async -> Bool {
        (try? await run { $0.isHealthy }) ?? false
    }

    /// Closes the connection and stops its thread. Call once; no call may follow.
    public func close() async {
        _ = try? await run { $0.finish() }
        try? await threadPool.shutdownGracefully()
    }
}

/// Carries the session into the connection's thread. Safe for the reason given on
/// `PostgresConnection`: the session is used only on that one thread.
private struct UncheckedSession: @unchecked Sendable {
    package let session: PostgresSession
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
