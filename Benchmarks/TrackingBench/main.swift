// tracking-bench: what tracking costs the proxy's CPU per request, without sockets, amplification
// or neighbours: the event loop's tracking work (rule match, the finished request's hand-off)
// timed on an event loop's thread, and the work off the loop (the activity builder: activity and
// row; the writer's threads: queue, spool or COPY) from the process's CPU time less its idle cost.
//
//   tracking-bench [DATABASE_URL] [REQUESTS] [per-row]
//
// The request is `bench/tracking.sh`'s: POST /api/v1/reports/7/generate/ with the headers wrk
// sends, through `rules/reports-app.yaml`. Without DATABASE_URL the writer finds PostgreSQL
// unreachable and spools (the db-down case). Requests go in steps of 500 every 10 ms (~50,000/s),
// two per loop task (a turn), so the writer keeps up and nothing is dropped. Prints ns per request
// on the loop for an untracked request (no rule matches: the "off" instance's work, with the same
// tasks) and a tracked one, and the writer's threads per tracked request.
import ActivityRules
import ConfigValues
import Foundation
import Ingest
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyCore
import ServiceLifecycle

let arguments = Array(CommandLine.arguments.dropFirst())
let databaseURL = arguments.first ?? "postgresql://postgres@127.0.0.1:1/trackingproxy?connect_timeout=1"
let requests = arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000
/// `per-row`: every row handed to the writer on its own (the path before per-loop hand-offs), for an A/B.
let perRow = arguments.dropFirst(2).first == "per-row"
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
// One event loop runs the requests, as a proxy loop does: the finished requests wait in the loop's
// list (`LoopActivityRows`) for the activity builder, which runs in the service group below.
let loopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = loopGroup.next()
let tracker = ActivityTracker(policy: policy, writer: writer, group: loopGroup, logger: logger)
let offTracker = ActivityTracker(policy: untracked, writer: writer, group: loopGroup, logger: logger)

/// The fields the proxy forwards for wrk's POST: the client's, and the peer the rewriter appends
/// to `X-Forwarded-For`. The rewriter makes them anew for every request, and so does the loop
/// below, for the tracked and the untracked request alike: the tracker adds the request id to them.
let headers: [(name: String, value: String)] = [
    ("Host", "127.0.0.1:18113"), ("Content-Length", "16"), ("Content-Type", "application/json"), ("X-Forwarded-User", "bench-user"),
    ("X-Forwarded-For", "127.0.0.1"),
]
let target = "/api/v1/reports/7/generate/"
let exchange = CompletedExchange(status: 200, requestBytes: 16, responseBytes: 22, completed: true)
/// Requests finished per loop turn: a busy proxy loop finishes a few per `epoll_wait`.
let perTurn = 2
let step = 500

/// The loop thread's CPU clock, readable from any thread.
let loopClock = try await loop.submit { () -> clockid_t in
    var clock = clockid_t()
    pthread_getcpuclockid(pthread_self(), &clock)
    return clock
}.get()

/// The loop's random generator, made once as a connection makes it (seeding costs system calls).
let loopRandom = try await loop.submit { NIOLoopBoundBox(ConnectionRandom(), eventLoop: loop) }.get()

/// Runs `requests` requests through `tracker` on the loop, `perTurn` per task, 500 per step with a
/// pause of `pause` between steps; returns the loop thread's CPU nanoseconds.
func run(_ tracker: ActivityTracker, pause: Duration) async throws -> Double {
    var total = 0.0
    for _ in 0..<(requests / step) {
        let started = cpu(loopClock)
        for _ in 0..<(step / perTurn) {
            loop.execute {
                var random = loopRandom.value
                defer { loopRandom.value = random }
                let rows = perRow ? nil : tracker.rows(for: loop)
                for _ in 0..<perTurn {
                    var forwarded = HTTPHeaders(headers)
                    if let pending = tracker.begin(method: "POST", target: target, headers: &forwarded, peer: "127.0.0.1", random: &random) {
                        tracker.finish(pending, exchange, random: &random, rows: rows)
                    }
                }
            }
        }
        try await loop.submit {}.get()
        total += cpu(loopClock) - started
        try await Task.sleep(for: pause)
    }
    return total
}

// The tracked tracker's builder runs as the sidecar runs it; the untracked one's never gets a row.
let group = ServiceGroup(services: [writer] + (tracker.builder.map { [$0] } ?? []), logger: logger)
try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    try await Task.sleep(for: .milliseconds(300))

    // Untracked: the match finds no rule; the same turns and pauses.
    let offLoop = try await run(offTracker, pause: .milliseconds(10))
    // Tracked: begin, finish, the turn's hand-off.
    let processBefore = cpu(CLOCK_PROCESS_CPUTIME_ID)
    let wallBefore = ContinuousClock.now
    let onLoop = try await run(tracker, pause: .milliseconds(10))
    // Until the writer has taken everything (spooled, written or dropped), a minute at most.
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        let status = writer.status()
        if status.queueDepth == 0, status.spoolRecords + status.rowsWritten + status.dropped >= requests { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    let wall = ContinuousClock.now - wallBefore
    let processNanoseconds = cpu(CLOCK_PROCESS_CPUTIME_ID) - processBefore
    let status = writer.status()
    // The writer's idle cost (its ticks) over the same wall time, measured with nothing to do.
    let idleBefore = cpu(CLOCK_PROCESS_CPUTIME_ID)
    try await Task.sleep(for: wall)
    let idleNanoseconds = cpu(CLOCK_PROCESS_CPUTIME_ID) - idleBefore

    let offPerRequest = offLoop / Double(requests)
    let onPerRequest = onLoop / Double(requests)
    let writerPerRequest = (processNanoseconds - onLoop - idleNanoseconds) / Double(requests)
    func line(_ label: String, _ value: Double) { print("\(label.padding(toLength: 58, withPad: " ", startingAt: 0)) \(String(format: "%7.0f", value)) ns") }
    print("tracking-bench: \(requests) requests, \(perTurn) per loop turn\(perRow ? ", rows handed over one by one" : ""), \(status.rowsWritten) rows written, \(status.spoolRecords) spooled, \(status.dropped) dropped")
    line("untracked request on the loop (no rule matches)", offPerRequest)
    line("tracked request on the loop (begin, finish, hand-off)", onPerRequest)
    line("tracked request off the loop (builder, writer's threads)", writerPerRequest)
    line("tracking cost per request (tracked - untracked)", onPerRequest + writerPerRequest - offPerRequest)
    await group.triggerGracefulShutdown()
    try await tasks.waitForAll()
}
try await loopGroup.shutdownGracefully()
try? FileManager.default.removeItem(atPath: ingest.spool.dir)
