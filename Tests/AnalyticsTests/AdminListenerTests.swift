@testable import ProxyCore
@testable import DeploymentConfiguration
import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Issue 9: the admin listener shares the process's descriptors with the proxy, so it closes idle
/// connections and caps how many it holds; `/status` never shows database error text.
@Suite struct AdminListenerTests {
    @Test func idleAndHalfSentConnectionsAreClosed() async throws {
        try await withAdminServer(idleTimeout: .seconds(1), maxConnections: 16) { port in
            let idle = try RawSocket(port: port)
            let halfSent = try RawSocket(port: port)
            halfSent.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n")
            let working = try RawSocket(port: port)
            working.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
            try await eventually("the answer") { working.received.contains("200 OK") }
            // Closed by the server, not left open forever (generous bound: a loaded CI machine).
            try await eventually(timeout: .seconds(30), "idle connection closed") { idle.isClosedByPeer() }
            try await eventually(timeout: .seconds(30), "half-sent request closed") { halfSent.isClosedByPeer() }
            try await eventually(timeout: .seconds(30), "kept-alive connection closed") { working.isClosedByPeer() }
            for socket in [idle, halfSent, working] { socket.close() }
        }
    }

    @Test func connectionsBeyondTheCapWaitUntilOneCloses() async throws {
        try await withAdminServer(idleTimeout: .seconds(600), maxConnections: 2) { port in
            // Two kept-alive connections, each surely accepted (it was answered).
            let first = try RawSocket(port: port)
            let second = try RawSocket(port: port)
            for socket in [first, second] {
                socket.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
                try await eventually("answer") { socket.received.contains("200 OK") }
            }
            // A third waits in the listen backlog: it holds no descriptor of the process.
            let third = try RawSocket(port: port)
            third.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
            try await Task.sleep(for: .seconds(1))
            #expect(third.received.isEmpty, "a third connection was served beyond max_connections 2")
            first.close()
            try await eventually(timeout: .seconds(30), "third answered once one closed") { third.received.contains("200 OK") }
            second.close()
            third.close()
        }
    }

    /// (database URL, the class `/status` shows, texts that must not appear)
    @Test(arguments: [
        ("postgresql://secretuser:s3cretpass@127.0.0.1:1/nowhere_db", "connection refused", ["127.0.0.1", "secretuser", "s3cretpass", "nowhere_db", "port 1", "Connection refused"]),
        ("ROLE", "authentication failed (SQLSTATE 28000)", ["no_such_role_q7", "FATAL", "127.0.0.1"]),
        ("DATABASE", "database does not exist (SQLSTATE 3D000)", ["no_such_db_q7", "FATAL", "127.0.0.1"]),
    ])
    func statusShowsTheFailureClassOnly(url: String, shown: String, hidden: [String]) async throws {
        let variables = try TestDatabase.variables()
        let host = variables["PGHOST"] ?? "", port = variables["PGPORT"] ?? ""
        let conninfo = switch url {
        case "ROLE": "host=\(host) port=\(port) user=no_such_role_q7 dbname=postgres"
        case "DATABASE": "host=\(host) port=\(port) user=postgres dbname=no_such_db_q7"
        default: url
        }
        var configuration = IngestConfiguration()
        configuration.database.url = Secret(conninfo)
        // Generous: on a loaded machine a local connection attempt can outlast a few seconds, and a
        // timed-out attempt shows "connection timed out" instead of the class under test.
        configuration.database.connectTimeout = .seconds(30)
        configuration.spool.dir = FileManager.default.temporaryDirectory.appendingPathComponent("admin-status-\(UUID().uuidString)").path
        let writer = ActivityWriter(configuration: configuration, logger: testLogger)
        try await whileRunning(writer) {
            try await eventually(timeout: .seconds(90), "a classified failure") {
                let state = writer.status().state
                return state.hasPrefix("spooling") && !state.hasSuffix("(connection timed out)")
            }
            let admin = AdminServer(
                listen: HostPort(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry(),
                probe: UpstreamProbe(address: try SocketAddress(ipAddress: "127.0.0.1", port: 1), group: MultiThreadedEventLoopGroup.singleton),
                logger: testLogger
            ) {
                AdminStatus(uptimeSeconds: 1, proxy: .init(openConnections: 0, upstream: "http://127.0.0.1:8000"),
                            rules: .init(file: "rules.yaml", hash: "h", count: 1), ingest: writer.status())
            }
            try await admin.makeApplication().test(.live) { client in
                try await client.execute(uri: "/status", method: .get) { response in
                    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    let state = try #require((json?["ingest"] as? [String: Any])?["state"] as? String)
                    #expect(state.hasSuffix("(\(shown))"), "\(state)")
                    for text in hidden { #expect(!state.contains(text), "\(state) shows \(text)") }
                }
            }
        }
        try? FileManager.default.removeItem(atPath: configuration.spool.dir)
    }

    /// `/status` shows a class and the SQLSTATE, never libpq's text (hosts, ports, users, databases).
    @Test(arguments: [
        ("connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed for user \"tracker\"", StorageError.Code.connection, nil as String?, "authentication failed (SQLSTATE 28P01)"),
        ("connection to server at \"10.0.0.5\", port 5432 failed: FATAL:  no pg_hba.conf entry for host \"10.0.0.9\", user \"tracker\", database \"reports\"", .connection, nil, "authentication failed (SQLSTATE 28000)"),
        ("connection to server at \"10.0.0.5\", port 5432 failed: FATAL:  database \"reports\" does not exist", .connection, nil, "database does not exist (SQLSTATE 3D000)"),
        ("connection to server at \"10.0.0.5\", port 5432 failed: Connection refused\n\tIs the server running on that host?", .connection, nil, "connection refused"),
        ("could not translate host name \"db.internal\" to address: Name or service not known", .connection, nil, "host name not resolved"),
        ("connection to server at \"10.0.0.5\", port 5432 failed: timeout expired", .connection, nil, "connection timed out"),
        ("FATAL:  sorry, too many clients already", .connection, nil, "server out of resources (SQLSTATE 53300)"),
        ("FATAL:  the database system is starting up", .connection, nil, "server not accepting connections (SQLSTATE 57P03)"),
        ("server closed the connection unexpectedly", .connection, "08006", "connection failed (SQLSTATE 08006)"),
        ("relation \"activity\" does not exist at character 13 (host db.internal)", .statement, "42P01", "schema problem (SQLSTATE 42P01)"),
        ("value too long", .statement, "22001", "statement failed (SQLSTATE 22001)"),
        ("something else at db.internal", .statement, "bad sqlstate with text", "statement failed"),
        ("anything", .connection, nil, "connection failed"),
    ] as [(String, StorageError.Code, String?, String)])
    func statusSummaries(message: String, code: StorageError.Code, sqlState: String?, summary: String) {
        let error = StorageError(code: code, operation: "connect", sqlState: sqlState, message: message, advice: "-")
        #expect(error.statusSummary == summary)
    }

    @Test func configurationKeysDefaultsAndLimits() throws {
        #expect(AdminConfiguration().idleTimeout == .seconds(60))
        #expect(AdminConfiguration().maxConnections == 256)
        let set = try loadConfiguration("admin:\n  idle_timeout: 5s\n  max_connections: 10\n")
        #expect(set.admin.idleTimeout == .seconds(5) && set.admin.maxConnections == 10)
        for (yaml, key) in [
            ("admin:\n  max_connections: 0\n", "admin.max_connections"), ("admin:\n  max_connections: 10001\n", "admin.max_connections"),
            ("admin:\n  idle_timeout: 0s\n", "admin.idle_timeout"), ("admin:\n  idle_timeout: 500ms\n", "admin.idle_timeout"),
        ] {
            #expect { try loadConfiguration(yaml) } throws: { "\($0)".contains(key) }
        }
    }
}

func loadConfiguration(_ yaml: String) throws -> ProxyConfiguration {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("admin-config-\(UUID().uuidString).yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    return try ConfigurationLoader<ProxyConfiguration>().load(path: url.path, overrides: [])
}

/// Runs the admin listener on a free port (as `serve` configures it, connection cap included),
/// calls `body` with the port, then stops it.
func withAdminServer(idleTimeout: Duration, maxConnections: Int, _ body: @Sendable @escaping (Int) async throws -> Void) async throws {
    let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let admin = AdminServer(
        listen: HostPort(host: "127.0.0.1", port: 0), idleTimeout: idleTimeout, maxConnections: maxConnections,
        registry: PrometheusCollectorRegistry(),
        probe: UpstreamProbe(address: try SocketAddress(ipAddress: "127.0.0.1", port: 1), group: MultiThreadedEventLoopGroup.singleton),
        logger: testLogger,
        status: {
            AdminStatus(uptimeSeconds: 0, proxy: .init(openConnections: 0, upstream: "-"), rules: .init(file: "-", hash: "-", count: 0),
                        ingest: IngestStatus(state: "stopped", databaseReachable: false, queueDepth: 0, spoolBytes: 0, spoolRecords: 0,
                                             lastWrite: nil, rowsWritten: 0, dropped: 0, deadLettered: 0))
        },
        onListening: { port in
            portContinuation.yield(port)
            portContinuation.finish()
        })
    let application = admin.makeApplication()
    try await whileRunning(application) {
        var port = 0
        for await value in portStream { port = value }
        try await body(port)
    }
}

/// Runs `service` in a `ServiceGroup` while `body` runs, then shuts it down gracefully.
func whileRunning(_ service: some Service, _ body: () async throws -> Void) async throws {
    let group = ServiceGroup(services: [service], logger: testLogger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(30), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out waiting for \(what)")
}

/// A plain TCP connection with byte-level control (idle, half-sent requests), read without
/// blocking (`poll` with no wait), so that tests never hold a cooperative thread.
final class RawSocket: @unchecked Sendable {
    // @unchecked: used from one test task at a time.
    private let descriptor: Int32
    private var bytes = ""
    private var closed = false

    /// Everything received so far (reads what has arrived first).
    var received: String {
        _ = isClosedByPeer()
        return bytes
    }

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Reads what has arrived; true once the peer closed (end of stream or reset).
    func isClosedByPeer() -> Bool {
        while !closed {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, 0) == 1 else { return false }
            var buffer = [UInt8](repeating: 0, count: 4_096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                closed = true
            } else {
                bytes += String(decoding: buffer.prefix(count), as: UTF8.self)
            }
        }
        return true
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
