import ActivityRules
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import Ingest
@testable import ProxyCore

/// Issue 14: the rows an event loop records in one turn go to the writer together, after the
/// turn, in order, each once.
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

    @Test func aTurnsRowsReachTheWriterTogetherAfterTheTurn() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        // Not run: `record` only queues, which is what this test reads.
        let writer = ActivityWriter(configuration: IngestConfiguration(), logger: Logger(label: "test"))
        try await withGroup { group in
            let loop = group.next()
            let tracker = ActivityTracker(policy: try fixture.policy(), writer: writer, group: group, logger: Logger(label: "test"))
            let queuedDuringTheTurn = try await loop.submit { () throws -> Int in
                var random = ConnectionRandom()
                let rows = try #require(tracker.rows(for: loop))
                for report in 0..<5 {
                    let pending = try #require(tracker.begin(
                        method: "POST", target: "/api/v1/reports/\(report)/generate/", headers: [("X-Forwarded-User", "alice")],
                        peer: "127.0.0.1", random: &random))
                    tracker.finish(
                        pending, CompletedExchange(status: 200, requestBytes: 2, responseBytes: 3, completed: true), random: &random, rows: rows)
                }
                return writer.status().queueDepth
            }.get()
            #expect(queuedDuringTheTurn == 0, "rows are handed over after the turn, not one by one")
            // The hand-off was scheduled before this task, so it has run when this one does.
            try await loop.submit {}.get()
            let queued = writer.shared.withLock { $0.queue.map { $0.row.record } }
            #expect(queued.map { $0?.description } == (0..<5).map { "Generated report \($0)" })
            #expect(queued.allSatisfy { $0?.userID == "alice" && $0?.metadataJSON.contains(#""request_bytes":2"#) == true })
            #expect(Set(queued.compactMap { $0?.id }).count == 5)
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
