// ingest-load: stores rows into PostgreSQL through the activity writer at a steady rate, from a
// process of its own. `bench/tracking.sh` runs it next to the untracked proxy to measure what
// storing the rows costs on shared cores when tracking itself costs nothing.
//
//   ingest-load DATABASE_URL ROWS_PER_SECOND SECONDS
//
// Rows are shaped like the tracked request of the benchmark (rule id `bench-load`, so that the
// benchmark can tell them apart) and recorded every 10 ms; the writer batches and COPYs them with
// its defaults. Prints the rows recorded and written, and exits after the writer's final flush.
import ConfigValues
import Foundation
import Ingest
import Logging
import ServiceLifecycle

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 3, let rate = Int(arguments[1]), rate > 0, let duration = Int(arguments[2]), duration > 0 else {
    print("usage: ingest-load DATABASE_URL ROWS_PER_SECOND SECONDS")
    exit(2)
}
var logger = Logger(label: "ingest-load")
logger.logLevel = .warning

func loadRecord(_ index: Int) -> ActivityRecord {
    ActivityRecord(
        occurredAt: Date(), userID: "bench-user", activityType: "report.generate", description: "Generated report 7",
        method: "POST", path: "/api/v1/reports/7/generate/", status: 200, ipAddress: "127.0.0.1", userAgent: "wrk",
        metadataJSON: #"{"report_id": "7", "request_bytes": 16, "response_bytes": 22}"#, requestID: "load-\(index)",
        durationMs: 0.4, peerAddress: "127.0.0.1", forwardedChain: nil, ipVerified: false, ruleID: "bench-load")
}

var configuration = IngestConfiguration()
configuration.database.url = Secret(arguments[0])
configuration.spool.dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-load-spool-\(getpid())").path
let writer = ActivityWriter(configuration: configuration, logger: logger)
let group = ServiceGroup(services: [writer], logger: logger)
try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    while !writer.status().databaseReachable { try await Task.sleep(for: .milliseconds(5)) }
    let tick = Duration.milliseconds(10)
    let ticks = duration * 100
    let began = ContinuousClock.now
    var recorded = 0
    for step in 1...ticks {
        // Catch up to the rows due by this tick, so that a late wake-up does not lower the rate.
        let due = rate * step / 100
        while recorded < due {
            writer.record(loadRecord(recorded))
            recorded += 1
        }
        try await Task.sleep(until: began + tick * step)
    }
    await group.triggerGracefulShutdown()
    try await tasks.waitForAll()
    print("ingest-load: \(recorded) rows recorded at \(rate)/s, \(writer.status().rowsWritten) written")
}
try? FileManager.default.removeItem(atPath: configuration.spool.dir)
