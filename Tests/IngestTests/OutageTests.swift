import ConfigValues
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

extension PostgresTests {
    @Test func spoolIsReplayedByANewWriterOnTheSameDirectory() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        let spoolDir = temporarySpoolDirectory()
        let records = (0..<2_000).map { makeRecord($0) }
        // First writer: PostgreSQL unreachable (nothing listens on port 1), so everything is spooled.
        let unreachable = makeConfiguration(url: "host=127.0.0.1 port=1 dbname=nowhere", spoolDir: spoolDir)
        try await withWriter(unreachable) { writer in
            for record in records { writer.record(record) }
            try await eventually("spooling") { writer.status().spoolRecords == records.count }
            #expect(writer.status().state.hasPrefix("spooling: database unreachable since"))
            #expect(!writer.status().databaseReachable)
        }
        // Second writer, a restarted sidecar: replays the spool, then deletes it.
        try await withWriter(makeConfiguration(url: url, spoolDir: spoolDir)) { writer in
            try await eventually("replay") { writer.status().spoolRecords == 0 && writer.status().rowsWritten == records.count }
        }
        let connection = try await PostgresConnection.connect(url: Secret(url))
        #expect(try await connection.count("SELECT count(*) FROM activity") == records.count)
        await connection.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDir).isEmpty)
    }

    /// PostgreSQL reachable but stuck (a lock held elsewhere): records do not wait in memory past
    /// half the sync interval, neither in the queue nor in the batch being written, so `kill -9`
    /// could lose at most one sync interval. When PostgreSQL moves again, every row is stored once.
    @Test func slowDatabaseMovesWaitingRecordsToTheSpool() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        var configuration = makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())
        configuration.spool.syncInterval = .milliseconds(300)
        configuration.batch.size = 100
        let blocker = try await PostgresConnection.connect(url: Secret(url))
        try await withWriter(configuration) { writer in
            try await eventually("connected") { writer.status().databaseReachable }
            try await blocker.execute("BEGIN; LOCK TABLE activity IN ACCESS EXCLUSIVE MODE")
            for index in 0..<1_000 { #expect(writer.record(makeRecord(index)) == .queued) }
            // The first batch hangs on the lock; it and everything queued behind it reach the spool.
            try await eventually("waiting records spooled") {
                let status = writer.status()
                return status.queueDepth == 0 && status.spoolRecords >= 1_000
            }
            #expect(writer.status().rowsWritten == 0)
            try await blocker.execute("ROLLBACK")
            try await eventually("caught up") { writer.status().spoolRecords == 0 && writer.status().rowsWritten == 1_000 }
        }
        #expect(try await blocker.count("SELECT count(*) FROM activity") == 1_000)
        #expect(try await blocker.count("SELECT count(DISTINCT id) FROM activity") == 1_000)
        await blocker.close()
    }

    @Test func corruptSpoolTailIsSkippedAndCounted() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        let spoolDir = temporarySpoolDirectory()
        var spoolConfiguration = SpoolConfiguration()
        spoolConfiguration.dir = spoolDir
        let spool = try await Spool.open(spoolConfiguration, logger: testLogger)
        let records = (0..<300).map { makeRecord($0) }
        #expect(await spool.append(records).appended == 300)
        await spool.close()
        // A crash mid-write: half a record at the end, then a segment of garbage.
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: spoolDir).first)
        let handle = try #require(FileHandle(forWritingAtPath: spoolDir + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 1, 0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]))
        try handle.close()
        try Data("garbage, not a spool segment".utf8).write(to: URL(fileURLWithPath: spoolDir + "/segment-9999999999999999.spool"))

        try await withWriter(makeConfiguration(url: url, spoolDir: spoolDir)) { writer in
            try await eventually("replay") { writer.status().rowsWritten == 300 && writer.status().spoolRecords == 0 }
            #expect(writer.status().dropped == 2, "one per corrupt tail")
        }
        let connection = try await PostgresConnection.connect(url: Secret(url))
        #expect(try await connection.count("SELECT count(*) FROM activity") == 300)
        await connection.close()
    }

}

/// Tests that stop and restart the shared PostgreSQL server. Every other test using the database
/// would fail meanwhile, so `scripts/test.sh` runs this suite alone, after the rest
/// (`swift test --skip ServerOutageTests`, then `--filter ServerOutageTests`).
@Suite(.serialized) struct ServerOutageTests {
    @Test func startsWithTheDatabaseDownAndCatchesUp() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        try cluster.stopServer()
        do {
            try await withWriter(makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())) { writer in
                try await eventually("unreachable") { writer.status().state.hasPrefix("spooling") }
                for index in 0..<500 { writer.record(makeRecord(index)) }
                try await eventually("spooled") { writer.status().spoolRecords == 500 }
                try cluster.startServer()
                try await eventually("caught up") { writer.status().rowsWritten == 500 && writer.status().spoolRecords == 0 }
                #expect(writer.status().state == "writing")
            }
        } catch {
            try? cluster.startServer()
            throw error
        }
        let connection = try await PostgresConnection.connect(url: Secret(url))
        #expect(try await connection.count("SELECT count(*) FROM activity") == 500)
        await connection.close()
    }

    @Test func databaseStoppedMidLoadLosesAndDuplicatesNothing() async throws {
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        let total = 20_000
        var configuration = makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())
        configuration.queue.capacity = 2_000
        do {
            try await withWriter(configuration) { writer in
                try await eventually("connected") { writer.status().databaseReachable }
                for index in 0..<total {
                    writer.record(makeRecord(index))
                    if index % 100 == 0 { try await Task.sleep(for: .milliseconds(20)) }  // about 5,000 records/s
                    if index == 6_000 { try cluster.stopServer() }
                    if index == 14_000 {
                        #expect(!writer.status().databaseReachable)
                        try cluster.startServer()
                    }
                }
                try await eventually("caught up") { writer.status().spoolRecords == 0 && writer.status().queueDepth == 0 }
                #expect(writer.status().dropped == 0, "\(writer.status())")
            }
        } catch {
            try? cluster.startServer()
            throw error
        }
        let connection = try await PostgresConnection.connect(url: Secret(url))
        let rows = try await connection.count("SELECT count(*) FROM activity")
        #expect(rows == total)
        #expect(try await connection.count("SELECT count(DISTINCT id) FROM activity") == rows)
        #expect(try await connection.count("SELECT count(DISTINCT request_id) FROM activity") == rows)
        await connection.close()
    }
}
