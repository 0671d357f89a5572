import ActivityRules
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Testing

@testable import Ingest
@testable import ProxyCore

/// Issue 14: the requests an event loop finishes wait in its list for the activity builder; their
/// rows reach the writer each once, from the builder (in order) or, when the list refuses them,
/// from the loop at once.
@Suite struct LoopActivityRowsTests {
    /// Runs `body` with a one-loop group, shut down afterwards even when `body` throws.
    func withGroup(_ body: (MultiThreadedEventLoopGroup) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    /// A tracker on a one-loop group with a writer that is not run (`record` only queues, which is
    /// what these tests read) and a builder that is not run unless a test runs it.
    struct Setup {
        let tracker: ActivityTracker
        let builder: ActivityBuilder
        let writer: ActivityWriter
        let loop: any EventLoop

        /// Finishes `count` tracked requests (report `first`, `first + 1`, …) in one task on the
        /// loop; returns how many rows the writer had queued when the task ended.
        @discardableResult
        func finishInOneTurn(_ count: Int, first: Int = 0) async throws -> Int {
            let (tracker, writer, loop) = (tracker, writer, loop)
            let queuedInTheTurn = try await loop.submit { () throws -> Int in
                var random = ConnectionRandom()
                let rows = try #require(tracker.rows(for: loop))
                for report in first..<(first + count) {
                    var headers = HTTPHeaders([("X-Forwarded-User", "alice")])
                    let pending = try #require(tracker.begin(
                        method: "POST", target: "/api/v1/reports/\(report)/generate/", headers: &headers, peer: "127.0.0.1", random: &random))
                    tracker.finish(
                        pending, CompletedExchange(status: 200, requestBytes: 2, responseBytes: 3, completed: true), random: &random, rows: rows)
                }
                return writer.status().queueDepth
            }.get()
            return queuedInTheTurn
        }

        /// Builds what waits in the builder now; returns how many requests that was.
        func buildWaiting() -> Int {
            var random = ConnectionRandom()
            var spare: [FinishedActivity] = []
            return builder.buildWaiting(random: &random, reuse: &spare)
        }

        /// The writer's queued rows, in order.
        var queued: [ActivityRecord?] { writer.shared.withLock { $0.queue.map { $0.row.record } } }
    }

    func withSetup(
        buildInterval: Duration = .seconds(1), builderCapacity: Int = 16_384, _ body: (Setup) async throws -> Void
    ) async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let writer = ActivityWriter(configuration: IngestConfiguration(), logger: Logger(label: "test"))
        try await withGroup { group in
            let tracker = ActivityTracker(
                policy: try fixture.policy(), writer: writer, group: group, buildInterval: buildInterval, builderCapacity: builderCapacity,
                logger: Logger(label: "test"))
            try await body(Setup(tracker: tracker, builder: try #require(tracker.builder), writer: writer, loop: group.next()))
        }
    }

    /// Checks that `rows` are the rows of `reports`, in this order, each once.
    func expectReports(_ rows: [ActivityRecord?], _ reports: some Sequence<Int>, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let descriptions = reports.map { "Generated report \($0)" }
        let count = descriptions.count
        #expect(rows.map { $0?.description } == descriptions, sourceLocation: sourceLocation)
        #expect(rows.allSatisfy { $0?.userID == "alice" && $0?.metadataJSON.contains(#""request_bytes":2"#) == true }, sourceLocation: sourceLocation)
        #expect(Set(rows.compactMap { $0?.id }).count == count, sourceLocation: sourceLocation)
    }

    @Test func aLoopsRequestsWaitForTheBuilderWhichHandsTheirRowsToTheWriterInOrder() async throws {
        try await withSetup { setup in
            let queuedInTheTurn = try await setup.finishInOneTurn(5)
            #expect(queuedInTheTurn == 0, "the builder builds them, not the loop")
            #expect(setup.buildWaiting() == 5)
            expectReports(setup.queued, 0..<5)
            #expect(setup.buildWaiting() == 0, "each request is built once")
        }
    }

    /// A loop's full list refuses a request: the loop builds the rows of all that wait and of this
    /// one at once, in order, and hands them to the writer; none is lost or doubled.
    @Test func aFullListLeavesItsRowsToTheLoop() async throws {
        try await withSetup(builderCapacity: 3) { setup in
            try await setup.finishInOneTurn(5)
            // 0, 1, 2 waited; 3 was refused, so 0–3 were built; 4 waits.
            expectReports(setup.queued, 0..<4)
            #expect(setup.buildWaiting() == 1)
            expectReports(setup.queued, 0..<5)
        }
    }

    /// A list whose oldest request waited longer than two intervals (the builder is starved of CPU)
    /// refuses the next request: the loop builds all that wait and that one, so no row stays in
    /// memory longer than that while its loop works.
    @Test func aBuilderThatFellBehindLeavesTheRowsToTheLoop() async throws {
        // Never run: the builder falls behind. 100 ms intervals keep the test's own pauses short of them.
        try await withSetup(buildInterval: .milliseconds(100)) { setup in
            try await setup.finishInOneTurn(2)
            #expect(setup.writer.status().queueDepth == 0, "accepted: the builder is not behind yet")
            try await Task.sleep(for: .milliseconds(300))
            try await setup.finishInOneTurn(3, first: 2)
            // 2 was refused, so 0–2 were built; 3 and 4 start a new list.
            expectReports(setup.queued, 0..<3)
            #expect(setup.buildWaiting() == 2)
            expectReports(setup.queued, 0..<5)
        }
    }

    /// Graceful shutdown ends the builder's wait at once and builds what waits (the proxy drained
    /// before); afterwards the lists refuse, so the loops' last rows go straight to the writer.
    @Test func gracefulShutdownBuildsWhatWaitsThenTheLoopsBuild() async throws {
        // An hour between builds: only the shutdown builds these.
        try await withSetup(buildInterval: .seconds(3600)) { setup in
            let services = ServiceGroup(services: [setup.builder], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await services.run() }
                try await setup.finishInOneTurn(3)
                #expect(setup.writer.status().queueDepth == 0)
                let started = ContinuousClock.now
                await services.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(ContinuousClock.now - started < .seconds(60), "the shutdown does not wait for the next build")
            }
            expectReports(setup.queued, 0..<3)
            // Stopped: the next requests' rows are built on the loop.
            try await setup.finishInOneTurn(2, first: 3)
            expectReports(setup.queued, 0..<5)
        }
    }

    /// A loop outside the tracker's group (an embedded test loop) has no rows object: its
    /// activities are handed over one by one.
    @Test func aLoopOutsideTheGroupHasNoRows() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let writer = ActivityWriter(configuration: IngestConfiguration(), logger: Logger(label: "test"))
        try await withGroup { group in
            try await withGroup { other in
                let tracker = ActivityTracker(policy: try fixture.policy(), writer: writer, group: group, logger: Logger(label: "test"))
                let loop = other.next()
                #expect(try await loop.submit { tracker.rows(for: loop) == nil }.get())
            }
        }
    }
}
