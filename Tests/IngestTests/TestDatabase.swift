import ConfigValues
import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import Ingest
@testable import PostgreSQL

/// The test cluster started by `scripts/pg.sh start` (or `make test`), found through the `PG*`
/// variables or, when they are unset, `<repo>/.pgdata/env`. Tests fail (never skip) without it.
struct TestCluster {
    let host: String
    let port: String
    let user: String
    let maintenanceDatabase: String
    let dataDirectory: String?
    let binDirectory: String?

    static let envFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".pgdata/env")

    static func current() throws -> TestCluster {
        var variables = ProcessInfo.processInfo.environment
        if variables["PGPORT"] == nil || variables["TRACKINGPROXY_TEST_PGDATA"] == nil,
           let text = try? String(contentsOf: envFile, encoding: .utf8) {
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.contains("=") {
                let parts = word.split(separator: "=", maxSplits: 1)
                variables[String(parts[0])] = String(parts[1])
            }
        }
        guard let port = variables["PGPORT"], let host = variables["PGHOST"] else {
            throw TestFailure("no PostgreSQL test cluster: run `scripts/pg.sh start` (or `make test`), which writes .pgdata/env with PGHOST and PGPORT")
        }
        return TestCluster(
            host: host, port: port, user: variables["PGUSER"] ?? "postgres",
            maintenanceDatabase: variables["PGDATABASE"] ?? "postgres",
            dataDirectory: variables["TRACKINGPROXY_TEST_PGDATA"], binDirectory: variables["TRACKINGPROXY_TEST_PGBIN"]
        )
    }

    func conninfo(database: String) -> String {
        "host=\(host) port=\(port) user=\(user) dbname=\(database) connect_timeout=3"
    }

    /// Creates a fresh database for one test and returns its conninfo.
    func createDatabase() async throws -> String {
        let name = "ingest_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await connect(maintenanceDatabase)
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        return conninfo(database: name)
    }

    func connect(_ database: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(url: Secret(conninfo(database: database)))
    }

    /// Stops the server (fast shutdown), as a crash of the database would look to the writer.
    func stopServer() throws {
        try pgctl(["stop", "-m", "fast", "-w"])
    }

    /// Starts the server again on the same port (pg.sh keeps the port in postgresql.auto.conf).
    func startServer() throws {
        guard let dataDirectory else { throw TestFailure("TRACKINGPROXY_TEST_PGDATA is unset: run `scripts/pg.sh start`") }
        let log = URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().appendingPathComponent("postgres.log").path
        try pgctl(["start", "-w", "-t", "60", "-l", log])
    }

    private func pgctl(_ arguments: [String]) throws {
        guard let dataDirectory, let binDirectory else {
            throw TestFailure("TRACKINGPROXY_TEST_PGDATA / TRACKINGPROXY_TEST_PGBIN are unset: run `scripts/pg.sh start`")
        }
        let pgctl = binDirectory + "/pg_ctl"
        let command = getuid() == 0
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", pgctl, "-D", dataDirectory] + arguments
            : [pgctl, "-D", dataDirectory] + arguments
        let status = try spawnAndWait(command)
        guard status == 0 else { throw TestFailure("pg_ctl \(arguments.first ?? "") failed with status \(status)") }
    }
}

/// Runs a program with its output to /dev/null and waits for it. (Foundation's `Process` on Linux
/// was seen to miss the exit of `runuser` here, so this uses posix_spawn and waitpid directly.)
func spawnAndWait(_ command: [String]) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let arguments = command.map { strdup($0) } + [nil]
    defer { arguments.forEach { free($0) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
    guard spawned == 0 else { throw TestFailure("cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw TestFailure("waitpid failed for \(command[0])") }
    }
    return (status >> 8) & 0xFF
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let testLogger: Logger = {
    var logger = Logger(label: "ingest-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["INGEST_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
    return logger
}()

func makeRecord(_ index: Int, at date: Date = Date(), metadata: String = #"{"n": 1}"#) -> ActivityRecord {
    ActivityRecord(
        occurredAt: date, userID: "user-\(index % 7)", activityType: "report.download",
        description: "Downloaded report \(index)", method: "GET", path: "/api/reports/\(index)/download",
        status: 200, ipAddress: index % 2 == 0 ? "192.0.2.\(index % 250)" : "2001:db8::\(index % 9999)",
        userAgent: "tests/1.0", metadataJSON: metadata, requestID: "req-\(index)", durationMs: Double(index) / 10,
        peerAddress: "10.0.0.1", forwardedChain: "192.0.2.1, 10.0.0.1", ipVerified: index % 3 == 0, ruleID: "reports.download"
    )
}

func makeConfiguration(url: String, spoolDir: String) -> IngestConfiguration {
    var configuration = IngestConfiguration()
    configuration.database.url = Secret(url)
    configuration.database.connectTimeout = .seconds(2)
    configuration.batch.maxAge = .milliseconds(20)
    configuration.retry.initialBackoff = .milliseconds(50)
    configuration.retry.maxBackoff = .milliseconds(500)
    configuration.spool.dir = spoolDir
    configuration.spool.syncInterval = .milliseconds(400)
    return configuration
}

func temporarySpoolDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ingest-spool-\(UUID().uuidString)").path
}

/// Runs a writer in a `ServiceGroup`, calls `body`, then shuts the group down gracefully and
/// waits for the writer to stop.
func withWriter(_ configuration: IngestConfiguration, _ body: (ActivityWriter) async throws -> Void) async throws {
    let writer = ActivityWriter(configuration: configuration, logger: testLogger)
    let group = ServiceGroup(services: [writer], logger: testLogger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body(writer)
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

extension PostgresConnection {
    func count(_ sql: String) async throws -> Int {
        let value = try await execute(sql).first?.first ?? nil
        return value.flatMap { Int($0) } ?? -1
    }
}

extension Spool {
    /// Appends valid records, encoded as the writer hands them over.
    func append(_ records: [ActivityRecord]) async -> AppendResult {
        await append(records.map { EncodedActivity(validated: $0) })
    }
}

extension BatchWriter {
    /// Writes valid records, encoded as the writer hands them over.
    func write(_ records: [ActivityRecord], durable: Bool, direct: Bool = false, session: PostgresSession) throws(StorageError) -> BatchOutcome {
        try write(records.map { EncodedActivity(validated: $0) }, durable: durable, direct: direct, session: session)
    }
}

extension WriterState.Queued {
    init(record: ActivityRecord, enqueued: ContinuousClock.Instant) {
        self.init(row: EncodedActivity(validated: record), enqueued: enqueued)
    }
}

extension WriterState.TakenBatch {
    /// The batch's records, read back from their tuples; a tuple that does not read back stands
    /// as `ActivityRecord.unreadable`, which no test expects, so it is not hidden.
    var records: [ActivityRecord] { rows.map { $0.record ?? ActivityRecord.unreadable } }
}

extension Array where Element == EncodedActivity {
    /// The rows' request ids, read back from their tuples.
    var requestIDs: [String?] { map { $0.record?.requestID } }
}

extension ActivityRecord {
    /// Stands for a tuple that did not read back, so that tests comparing records fail on it.
    static let unreadable = makeRecord(-1)
}
