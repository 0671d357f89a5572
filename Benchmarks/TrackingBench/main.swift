// tracking-bench: what tracking costs the proxy's CPU per request, without sockets, amplification
// or neighbours: the event loop's tracking work (rule match, activity, row, hand-off) timed on one
// thread, and the writer's threads (queue, spool or COPY) from the process's CPU time.
//
//   tracking-bench [DATABASE_URL] [REQUESTS]
//
// The request is `bench/tracking.sh`'s: POST /api/v1/reports/7/generate/ with the headers wrk
// sends, through `rules/reports-app.yaml`. Without DATABASE_URL the writer finds PostgreSQL
// unreachable and spools (the db-down case). Requests go in steps of 500 every 10 ms (50,000/s),
// so the writer keeps up and nothing is dropped. Prints ns per request for: the match of an
// untracked request (no rule: the "off" instance's work), the tracked request's event-loop work,
// and the writer's threads.
import ActivityRules
import ConfigValues
import Foundation
import Ingest
import Logging
import ProxyCore
import ServiceLifecycle

let arguments = Array(CommandLine.arguments.dropFirst())
let databaseURL = arguments.first ?? "postgresql://postgres@127.0.0.1:1/trackingproxy?connect_timeout=1"
let requests = arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000
var logger = Logger(label: "tracking-bench")
logger.logLevel = .error

func cpu(_ clock: clockid_t) -> Double {
    var spec = timespec()
    clock_gettime(clock, &spec)
    return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
}

var tracking = TrackingConfiguration()
tracking.rulesFile = "rules/reports-app.yaml"
let policy = try TrackingPolicy(configuration: tracking, tokenReaders: IgnoredBearerToken.factory)
let untracked = try TrackingPolicy(
    configuration: tracking, tokenReaders: IgnoredBearerToken.factory, rules: try RuleSet(yaml: "version: 1\nrules: []\n", file: "none.yaml"))

var ingest = IngestConfiguration()
ingest.database.url = Secret(databaseURL)
ingest.spool.dir = FileManager.default.temporaryDirectory.appendingPathComponent("tracking-bench-spool-\(getpid())").path
let writer = ActivityWriter(configuration: ingest, logger: logger)
let tracker = ActivityTracker(policy: policy, writer: writer, logger: logger)
let offTracker = ActivityTracker(policy: untracked, writer: writer, logger: logger)

/// The fields the app receives from wrk's POST (HeaderRewriter.receivedFields: the client's, as sent).
let headers: [(name: String, value: String)] = [
    ("Host", "127.0.0.1:18113"), ("Content-Length", "16"), ("Content-Type", "application/json"), ("X-Forwarded-User", "bench-user"),
]
let target = "/api/v1/reports/7/generate/"
let exchange = CompletedExchange(status: 200, requestBytes: 16, responseBytes: 22, completed: true)

let group = ServiceGroup(services: [writer], logger: logger)
try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    try await Task.sleep(for: .milliseconds(300))
    var random = ConnectionRandom()
    let step = 500

    // Untracked: the match finds no rule.
    var loopNanoseconds = 0.0
    var sink = 0
    for _ in 0..<(requests / step) {
        let started = cpu(CLOCK_THREAD_CPUTIME_ID)
        for _ in 0..<step {
            if offTracker.begin(method: "POST", target: target, headers: headers, peer: "127.0.0.1", random: &random) != nil { sink += 1 }
        }
        loopNanoseconds += cpu(CLOCK_THREAD_CPUTIME_ID) - started
    }
    let offPerRequest = loopNanoseconds / Double(requests)

    // Tracked: begin, finish, the writer's record.
    loopNanoseconds = 0
    let processBefore = cpu(CLOCK_PROCESS_CPUTIME_ID)
    let wallBefore = ContinuousClock.now
    for _ in 0..<(requests / step) {
        let started = cpu(CLOCK_THREAD_CPUTIME_ID)
        for _ in 0..<step {
            if let pending = tracker.begin(method: "POST", target: target, headers: headers, peer: "127.0.0.1", random: &random) {
                tracker.finish(pending, exchange, random: &random)
            }
        }
        loopNanoseconds += cpu(CLOCK_THREAD_CPUTIME_ID) - started
        try await Task.sleep(for: .milliseconds(10))
    }
    // Until the writer has taken everything (spooled or written).
    while true {
        let status = writer.status()
        if status.queueDepth == 0, status.spoolRecords + status.rowsWritten >= requests { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    let wall = ContinuousClock.now - wallBefore
    let processNanoseconds = cpu(CLOCK_PROCESS_CPUTIME_ID) - processBefore
    let status = writer.status()
    // The writer's idle cost (its ticks) over the same wall time, measured with nothing to do.
    let idleBefore = cpu(CLOCK_PROCESS_CPUTIME_ID)
    try await Task.sleep(for: wall)
    let idleNanoseconds = cpu(CLOCK_PROCESS_CPUTIME_ID) - idleBefore

    let onPerRequest = loopNanoseconds / Double(requests)
    let writerPerRequest = (processNanoseconds - loopNanoseconds - idleNanoseconds) / Double(requests)
    func line(_ label: String, _ value: Double) { print("\(label.padding(toLength: 58, withPad: " ", startingAt: 0)) \(String(format: "%7.0f", value)) ns") }
    print("tracking-bench: \(requests) requests, \(status.rowsWritten) rows written, \(status.spoolRecords) spooled, \(status.dropped) dropped (sink \(sink))")
    line("untracked request: rule match (event loop)", offPerRequest)
    line("tracked request: begin + finish + record (event loop)", onPerRequest)
    line("tracked request: writer threads (process - loop - idle)", writerPerRequest)
    line("tracking cost per request (tracked - untracked)", onPerRequest + writerPerRequest - offPerRequest)
    await group.triggerGracefulShutdown()
    try await tasks.waitForAll()
}
try? FileManager.default.removeItem(atPath: ingest.spool.dir)
