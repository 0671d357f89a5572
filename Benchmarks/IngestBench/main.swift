// ingest-bench: the writer's rows/s against `psql \copy` (binary) of the same rows, interleaved in
// one run, into the same partitioned and indexed `activity` table.
//
//   scripts/release-build.sh ingest-bench && . .pgdata/env && .build-release/release/ingest-bench [rows] [rounds] [batch size]
//
// Uses the PG* variables; creates (and drops first) the database `ingest_bench`.
import ConfigValues
import Foundation
import Ingest
import Logging
import ServiceLifecycle
import PostgreSQL

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let rowCount = arguments.count > 0 ? arguments[0] : 200_000
let rounds = arguments.count > 1 ? arguments[1] : 3
let batchSize = arguments.count > 2 ? arguments[2] : 500
let logger: Logger = {
    var logger = Logger(label: "ingest-bench")
    logger.logLevel = .warning
    return logger
}()

let environment = ProcessInfo.processInfo.environment
guard environment["PGHOST"] != nil || environment["PGPORT"] != nil else {
    print("ingest-bench: set the PG* variables first: scripts/pg.sh start && . .pgdata/env")
    exit(2)
}
let benchDatabase = "ingest_bench"
let benchURL = "dbname=\(benchDatabase)"

func spawnAndWait(_ command: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let arguments = command.map { strdup($0) } + [nil]
    defer { arguments.forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawnp(&pid, command[0], &actions, nil, arguments, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xFF
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

// Setup: a fresh database, migrated.
let admin = try await PostgresConnection.connect(url: nil)
try await admin.execute("DROP DATABASE IF EXISTS \(benchDatabase) WITH (FORCE)")
try await admin.execute("CREATE DATABASE \(benchDatabase)")
await admin.close()
let connection = try await PostgresConnection.connect(url: Secret(benchURL))
try await Migrator(logger: logger).migrate(connection)

let start = Date()
let activityTypes = ["report.download", "report.view", "login"]
func benchRecord(_ index: Int) -> ActivityRecord {
    let address: String = index % 4 == 0 ? "2001:db8::\(String(index % 65535, radix: 16))" : "192.0.2.\(index % 250)"
    let metadata: String = #"{"format": "pdf", "bytes": \#(index)}"#
    return ActivityRecord(
        occurredAt: start.addingTimeInterval(Double(index) / 1000), userID: "user-\(index % 1000)",
        activityType: activityTypes[index % 3], description: "Downloaded report \(index % 5000)",
        method: "GET", path: "/api/reports/\(index % 5000)/download", status: 200,
        ipAddress: address, userAgent: "Mozilla/5.0 (X11; Linux x86_64) bench", metadataJSON: metadata,
        requestID: "req-\(index)", durationMs: Double(index % 900) / 3, peerAddress: "10.0.0.1",
        forwardedChain: "192.0.2.1, 10.0.0.1", ipVerified: index % 2 == 0, ruleID: "reports.download"
    )
}
let records = (0..<rowCount).map(benchRecord)
let copyFile = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-bench-\(getpid()).copy")
try Data(ActivityRecord.binaryCopy(of: records)).write(to: copyFile)
defer { try? FileManager.default.removeItem(at: copyFile) }
print("ingest-bench: \(rowCount) rows (\(try FileManager.default.attributesOfItem(atPath: copyFile.path)[.size] ?? 0) bytes in binary COPY), \(rounds) rounds, batch size \(batchSize)")

do {
    let began = ContinuousClock.now
    var valid = 0
    for record in records where (try? record.validated()) != nil { valid += 1 }
    let elapsed = seconds(ContinuousClock.now - began)
    print(String(format: "validation alone: %.2f µs per record (%d valid)", elapsed * 1e6 / Double(rowCount), valid))
    let encodingBegan = ContinuousClock.now
    let encoded = ActivityRecord.binaryCopy(of: records).count
    let encoding = seconds(ContinuousClock.now - encodingBegan)
    print(String(format: "binary COPY encoding alone: %.2f µs per record (%d bytes)", encoding * 1e6 / Double(rowCount), encoded))
    if environment["INGEST_BENCH_VALIDATE_ONLY"] != nil { exit(0) }
}

/// One writer run: all rows recorded at once (a backlog), timed until the last is committed.
/// `spoolAged`: with the default `spool.sync_interval` (1 s), rows of the backlog that wait longer
/// than 0.5 s go through the spool (the kill -9 bound); without it (a 10-minute interval), every row
/// takes the COPY path, which is the writer's throughput whenever it is less than 0.5 s behind.
/// `synchronousCommit`: the writer's session setting (default `on`: one WAL flush per batch).
func runWriter(directCopy: Bool, spoolAged: Bool = false, synchronousCommit: IngestConfiguration.SynchronousCommit = .on) async throws -> Double {
    try await connection.execute("TRUNCATE activity")
    var configuration = IngestConfiguration()
    configuration.database.url = Secret(benchURL)
    configuration.batch.size = batchSize
    configuration.batch.directCopy = directCopy
    configuration.database.synchronousCommit = synchronousCommit
    configuration.queue.capacity = rowCount
    if !spoolAged { configuration.spool.syncInterval = .seconds(600) }
    configuration.spool.dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-bench-spool-\(getpid())").path
    let writer = ActivityWriter(configuration: configuration, logger: logger)
    let group = ServiceGroup(services: [writer], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        while !writer.status().databaseReachable { try await Task.sleep(for: .milliseconds(5)) }
        let began = ContinuousClock.now
        for record in records { writer.record(record) }
        let recorded = ContinuousClock.now - began
        while writer.status().rowsWritten < rowCount { try await Task.sleep(for: .milliseconds(1)) }
        let elapsed = ContinuousClock.now - began
        print(String(format: "  writer (direct_copy: \(directCopy), aged rows spooled: \(spoolAged), synchronous_commit: \(synchronousCommit.rawValue)): record(_:) of all rows took %.2f s, all committed after %.2f s", seconds(recorded), seconds(elapsed)))
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return Double(rowCount) / seconds(elapsed)
    }
}

func runPsqlCopy() async throws -> Double {
    try await connection.execute("TRUNCATE activity")
    let psql = environment["TRACKINGPROXY_TEST_PGBIN"].map { $0 + "/psql" } ?? "psql"
    let began = ContinuousClock.now
    let status = spawnAndWait([
        psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", benchDatabase,
        "-c", "\\copy activity (\(ActivityRecord.copyColumns)) FROM '\(copyFile.path)' WITH (FORMAT binary)",
    ])
    let elapsed = ContinuousClock.now - began
    guard status == 0 else { throw StorageError(code: .statement, operation: "psql \\copy", message: "psql exited with \(status)", advice: "Run the psql command by hand.") }
    let count = try await connection.execute("SELECT count(*) FROM activity").first?.first ?? nil
    precondition(count == String(rowCount), "psql loaded \(count ?? "nil") rows")
    return Double(rowCount) / seconds(elapsed)
}

var writerRates: [Double] = []
var asyncCommitRates: [Double] = []
var stagingRates: [Double] = []
var spooledRates: [Double] = []
var psqlRates: [Double] = []
for round in 1...rounds {
    let writerRate = try await runWriter(directCopy: true)
    let asyncCommitRate = try await runWriter(directCopy: true, synchronousCommit: .off)
    asyncCommitRates.append(asyncCommitRate)
    let stagingRate = try await runWriter(directCopy: false)
    let spooledRate = try await runWriter(directCopy: true, spoolAged: true)
    let psqlRate = try await runPsqlCopy()
    writerRates.append(writerRate)
    stagingRates.append(stagingRate)
    spooledRates.append(spooledRate)
    psqlRates.append(psqlRate)
    print(String(format: "round %d: writer %.0f rows/s (staging only: %.0f; backlog past 0.5 s spooled: %.0f), psql \\copy binary %.0f rows/s, ratio %.2f (staging only: %.2f; spooled: %.2f)",
                 round, writerRate, stagingRate, spooledRate, psqlRate, writerRate / psqlRate, stagingRate / psqlRate, spooledRate / psqlRate))
}
let psqlMedian = median(psqlRates)
print(String(format: "synchronous_commit: on (default) %.0f rows/s, off %.0f rows/s (medians; ratio to psql \\copy %.2f and %.2f)",
             median(writerRates), median(asyncCommitRates), median(writerRates) / psqlMedian, median(asyncCommitRates) / psqlMedian))
print(String(format: "median: writer %.0f rows/s (staging only: %.0f; backlog past 0.5 s spooled: %.0f), psql \\copy binary %.0f rows/s, ratio %.2f (staging only: %.2f; spooled: %.2f; target >= 0.80)",
             median(writerRates), median(stagingRates), median(spooledRates), psqlMedian,
             median(writerRates) / psqlMedian, median(stagingRates) / psqlMedian, median(spooledRates) / psqlMedian))
await connection.close()
