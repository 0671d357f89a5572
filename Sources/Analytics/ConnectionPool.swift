import ConfigValues
import Logging
import PostgreSQL

/// A few PostgreSQL connections shared by the analytics HTTP routes, opened on first use.
///
/// At most `maxConnections` are open; callers beyond that wait in order. A connection that
/// failed is closed rather than returned, and the next caller opens a fresh one.
public actor ConnectionPool {
    private let url: Secret?
    private let maxConnections: Int
    private let applicationName: String
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var isClosed = false

    /// - Parameters:
    ///   - url: libpq conninfo or URI; `nil` uses the `PG*` variables.
    ///   - maxConnections: at least 1 (default 2).
    public init(url: Secret?, maxConnections: Int = 2, applicationName: String = "trackingproxy-analytics", logger: Logger) {
        precondition(maxConnections >= 1, "a pool holds at least one connection")
        self.url = url
        self.maxConnections = maxConnections
        self.applicationName = applicationName
        self.logger = logger
    }

    /// Runs `body` with a store on a pooled connection.
    public func withStore<T: Sendable>(_ body: @Sendable (ActivityStore) async throws -> T) async throws -> T {
        let connection = try await checkOut()
        do {
            let result = try await body(ActivityStore(connection: connection))
            await checkIn(connection, healthy: true)
            return result
        } catch {
            let healthy = (error as? StorageError).map { $0.code != .connection } ?? true
            let usable = healthy ? await connection.isHealthy() : false
            await checkIn(connection, healthy: usable)
            throw error
        }
    }

    /// Closes every idle connection; later calls fail.
    public func close() async {
        isClosed = true
        let connections = idle
        idle = []
        for connection in connections { await connection.close() }
    }

    private func checkOut() async throws -> PostgresConnection {
        while true {
            if isClosed { throw StorageError.connection("analytics query", "the connection pool is closed") }
            if let connection = idle.popLast() { return connection }
            if open < maxConnections {
                open += 1
                do {
                    return try await PostgresConnection.connect(url: url, applicationName: applicationName)
                } catch {
                    open -= 1
                    resumeOneWaiter()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) async {
        if healthy && !isClosed {
            idle.append(connection)
        } else {
            open -= 1
            logger.debug("closing a pooled analytics connection", metadata: ["db.target": "\(connection.target)"])
            await connection.close()
        }
        resumeOneWaiter()
    }

    private func resumeOneWaiter() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
