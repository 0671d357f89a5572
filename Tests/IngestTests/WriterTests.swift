import ConfigValues
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

/// The request-path side of the writer, without a database: `record(_:)` never waits.
@Suite struct WriterTests {
    @Test func fullQueueHandsOffToTheSpoolThenDrops() {
        var configuration = IngestConfiguration()
        configuration.queue.capacity = 2
        let writer = ActivityWriter(configuration: configuration, logger: testLogger)
        let outcomes = (0..<5).map { writer.record(makeRecord($0)) }
        #expect(outcomes == [.queued, .queued, .spooled, .spooled, .dropped(.queueFull)])
        var invalid = makeRecord(9)
        invalid.status = 70_000
        #expect(writer.record(invalid) == .dropped(.invalid))
        let status = writer.status()
        #expect(status.queueDepth == 4)
        #expect(status.dropped == 2)
        #expect(status.state == "starting: connecting to the database")
        #expect(!status.databaseReachable)
    }

    @Test func statusEncodesWithSnakeCaseKeys() throws {
        let writer = ActivityWriter(configuration: IngestConfiguration(), logger: testLogger)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(writer.status())) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == [
            "state", "database_reachable", "queue_depth", "spool_bytes", "spool_records", "rows_written", "dropped", "dead_lettered",
        ])
    }
}

@Suite struct SpoolFileTests {
    func configuration(maxBytes: Int, segmentBytes: Int, policy: SpoolConfiguration.FullPolicy) -> SpoolConfiguration {
        var configuration = SpoolConfiguration()
        configuration.dir = temporarySpoolDirectory()
        configuration.maxBytes = ByteSize(bytes: maxBytes)
        configuration.segmentBytes = ByteSize(bytes: segmentBytes)
        configuration.whenFull = policy
        return configuration
    }

    @Test func recordsSurviveReopeningInOrder() async throws {
        let configuration = configuration(maxBytes: 1 << 20, segmentBytes: 8 << 10, policy: .dropNewest)
        let spool = try await Spool.open(configuration, logger: testLogger)
        let records = (0..<100).map { makeRecord($0) }
        #expect(await spool.append(records) == .init(appended: 100))
        await spool.close()
        let reopened = try await Spool.open(configuration, logger: testLogger)
        #expect(reopened.stats.pendingRecords == 100)
        #expect(reopened.stats.segments > 1, "8 KiB segments rotate")
        var replayed: [ActivityRecord] = []
        while let (segment, batch) = await reopened.startReplay() {
            replayed += batch
            await reopened.finishReplay(segment: segment)
        }
        #expect(replayed.map(\.id) == records.map(\.id))
        #expect(reopened.stats == .init())
        await reopened.close()
    }

    @Test func dropNewestRefusesWhatDoesNotFit() async throws {
        let spool = try await Spool.open(configuration(maxBytes: 4 << 10, segmentBytes: 1 << 10, policy: .dropNewest), logger: testLogger)
        let result = await spool.append((0..<100).map { makeRecord($0) })
        #expect(result.appended > 0 && result.droppedNewest > 0 && result.droppedOldest == 0)
        #expect(result.appended + result.droppedNewest == 100)
        #expect(spool.stats.bytes <= 4 << 10)
        await spool.close()
    }

    @Test func dropOldestDeletesOldSegmentsAndKeepsTheNewest() async throws {
        let spool = try await Spool.open(configuration(maxBytes: 4 << 10, segmentBytes: 1 << 10, policy: .dropOldest), logger: testLogger)
        let records = (0..<100).map { makeRecord($0) }
        let result = await spool.append(records)
        #expect(result.appended == 100 && result.droppedNewest == 0)
        #expect(result.droppedOldest == 100 - spool.stats.pendingRecords)
        #expect(spool.stats.bytes <= 4 << 10)
        var kept: [ActivityRecord] = []
        while let (segment, batch) = await spool.startReplay() {
            kept += batch
            await spool.finishReplay(segment: segment)
        }
        #expect(kept.map(\.id) == records.suffix(kept.count).map(\.id), "the newest survive")
        await spool.close()
    }
}
