import ConfigValues
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

extension PostgresTests {
    /// The readers' connections wait up to 30 s (libpq takes the last `connect_timeout`): twice, on
    /// a loaded machine, the first connection of this file timed out at the suite's 3 s.
    static let patientConnect = " connect_timeout=30"

    private func heartbeatConfiguration(url: String, instanceID: String?) -> IngestConfiguration {
        var configuration = makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())
        configuration.heartbeatInterval = .seconds(1)
        configuration.instanceID = instanceID
        return configuration
    }

    /// The writer publishes its row on connecting, then every `heartbeat_interval`: the row's
    /// heartbeat advances and its figures follow the writer's.
    @Test func heartbeatRowAppearsAndAdvances() async throws {
        let url = try await TestCluster.current().createDatabase()
        let reader = try await PostgresConnection.connect(url: Secret(url + Self.patientConnect))
        try await Migrator(logger: testLogger).migrate(reader)
        let store = ActivityStore(connection: reader)
        try await withWriter(heartbeatConfiguration(url: url, instanceID: nil)) { writer in
            try await eventually("the first heartbeat") { try await store.fetchInstances().count == 1 }
            let first = try #require(try await store.fetchInstances().first)
            #expect(first.instanceID == writer.identity.id && first.instanceID.hasSuffix(":\(getpid())"))
            #expect(first.hostname == writer.identity.hostname && first.version == "unknown")
            #expect(abs(first.startedAt.timeIntervalSince(writer.identity.startedAt)) < 0.001)
            #expect(first.ageSeconds >= 0 && first.ageSeconds < 5)
            #expect(first.state == "writing")
            for index in 0..<10 { writer.record(makeRecord(index)) }
            try await eventually("a later heartbeat with the rows") {
                let row = try await store.fetchInstances().first
                return row.map { $0.heartbeatAt > first.heartbeatAt && $0.rowsWritten == 10 && $0.lastWrite != nil } ?? false
            }
        }
        await reader.close()
    }

    /// Two writers with their own ids: two rows, newest heartbeat first; an instance gone for a
    /// week is deleted by the others.
    @Test func twoWritersPublishTwoRowsAndPruneAStaleOne() async throws {
        let url = try await TestCluster.current().createDatabase()
        let reader = try await PostgresConnection.connect(url: Secret(url + Self.patientConnect))
        try await Migrator(logger: testLogger).migrate(reader)
        try await reader.execute("""
            INSERT INTO trackingproxy_instances (instance_id, hostname, version, started_at, heartbeat_at)
            VALUES ('gone', 'old-host', '0.0.1', now() - interval '9 days', now() - interval '8 days'),
                   ('recent', 'old-host', '0.0.1', now() - interval '2 days', now() - interval '1 day')
            """)
        let store = ActivityStore(connection: reader)
        try await withWriter(heartbeatConfiguration(url: url, instanceID: "reports-a")) { _ in
            try await withWriter(heartbeatConfiguration(url: url, instanceID: "reports-b")) { _ in
                try await eventually("both rows, and the stale one pruned") {
                    Set(try await store.fetchInstances().map(\.instanceID)) == ["reports-a", "reports-b", "recent"]
                }
            }
        }
        let instances = try await store.fetchInstances()
        #expect(instances.last?.instanceID == "recent", "newest heartbeat first")
        #expect((instances.last?.ageSeconds ?? 0) > 86_000)
        #expect(try await store.fetchInstances(limit: 1).count == 1)
        await reader.close()
    }

    /// A heartbeat that PostgreSQL refuses (here: the table is gone) is logged and skipped;
    /// batches are written as before.
    @Test func aRefusedHeartbeatDoesNotStopTheBatches() async throws {
        let url = try await TestCluster.current().createDatabase()
        let reader = try await PostgresConnection.connect(url: Secret(url + Self.patientConnect))
        try await Migrator(logger: testLogger).migrate(reader)
        try await reader.execute("DROP TABLE trackingproxy_instances")
        var configuration = heartbeatConfiguration(url: url, instanceID: "reports-a")
        configuration.database.migrateOnStart = false
        // The writer's session, by its backend pid: a reconnection would change it.
        let writerSession = """
            SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """
        try await withWriter(configuration) { writer in
            for index in 0..<100 { writer.record(makeRecord(index)) }
            try await eventually("rows written") { writer.status().rowsWritten == 100 }
            let session = try await reader.execute(writerSession)
            #expect(session.count == 1)
            try await Task.sleep(for: .milliseconds(2_500))  // two heartbeats fail meanwhile
            for index in 100..<200 { writer.record(makeRecord(index)) }
            try await eventually("more rows written") { writer.status().rowsWritten == 200 }
            #expect(writer.status().state == "writing")
            #expect(try await reader.execute(writerSession) == session, "the same connection throughout")
        }
        #expect(try await reader.count("SELECT count(*) FROM activity") == 200)
        await reader.close()
    }
}
