import ConfigValues
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

/// The buffer of minutes waiting for PostgreSQL, without I/O.
@Suite struct SystemMetricsBufferTests {
    func minute(_ index: Int, requests: Int = 1) -> SidecarMinute {
        var minute = SidecarMinute(minute: Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 60))
        minute.requestsByClass[1] = requests
        return minute
    }

    @Test func harvestsOfOneMinuteAddUp() {
        var buffer = SystemMetricsBuffer()
        var first = minute(0, requests: 2)
        first.latencyP99Ms = 10
        first.exclusions = ["health-checks": 3]
        var second = minute(0, requests: 5)
        second.latencyP99Ms = 4
        second.exclusions = ["health-checks": 1, "static": 2]
        buffer.append(first)
        buffer.append(second)
        buffer.append(minute(1))
        #expect(buffer.minutes.count == 2)
        #expect(buffer.minutes[0].requestsByClass[1] == 7)
        #expect(buffer.minutes[0].latencyP99Ms == 10, "percentiles keep the larger")
        #expect(buffer.minutes[0].exclusions == ["health-checks": 4, "static": 2])
        #expect(buffer.minutes[0].requestsExcluded == 6)
    }

    @Test func keepsTheNewestMinutesAndCountsTheDropped() {
        var buffer = SystemMetricsBuffer(capacity: 120)
        for index in 0..<125 { buffer.append(minute(index)) }
        #expect(buffer.minutes.count == 120)
        #expect(buffer.dropped == 5)
        #expect(buffer.minutes.first?.minute == minute(5).minute)
        // A failed write puts its minutes back before the newer ones, still bounded.
        let taken = buffer.takeAll()
        buffer.append(minute(125))
        buffer.putBack(taken)
        #expect(buffer.minutes.count == 120 && buffer.dropped == 6)
        #expect(buffer.minutes.last?.minute == minute(125).minute)
    }

    @Test func minuteStartsAtZeroSeconds() {
        let minute = SidecarMinute(minute: Date(timeIntervalSince1970: 1_800_000_059.9))
        #expect(minute.minute.timeIntervalSince1970 == 1_800_000_000)
    }
}

extension PostgresTests {
    static func systemMetricsRow(_ connection: PostgresConnection, instance: String) async throws -> [String?] {
        try await connection.execute("""
            SELECT requests_2xx, requests_5xx, upstream_errors, latency_p99_ms, bytes_in, rows_written, queue_depth, requests_excluded,
                   (SELECT sum(requests) FROM system_metrics_exceptions e WHERE e.instance_id = m.instance_id)
            FROM system_metrics m WHERE instance_id = $1
            """, parameters: [instance]).first ?? []
    }

    /// Two writes of the same minute add up in one row; exceptions add up in theirs.
    @Test func systemMetricsUpsertAddsAcrossHarvests() async throws {
        let url = try await TestCluster.current().createDatabase()
        let connection = try await PostgresConnection.connect(url: Secret(url))
        try await Migrator(logger: testLogger).migrate(connection)
        let writer = SystemMetricsWriter(instanceID: "sidecar-a")
        var first = SidecarMinute(minute: Date())
        first.requestsByClass = [0, 10, 0, 0, 1]
        first.upstreamErrors = 2
        first.latencyP99Ms = 40
        first.bytesIn = 100
        first.rowsWritten = 9
        first.queueDepth = 7
        first.exclusions = ["health-checks": 3]
        var second = first
        second.latencyP99Ms = 25
        second.queueDepth = 2
        second.exclusions = ["health-checks": 1]
        let (one, two) = (first, second)
        try await connection.run { try writer.write([one], session: $0) }
        try await connection.run { try writer.write([two], session: $0) }
        let row = try await Self.systemMetricsRow(connection, instance: "sidecar-a")
        #expect(row == ["20", "2", "4", "40", "200", "18", "7", "4", "4"])
        #expect(try await connection.execute("SELECT count(*) FROM system_metrics").first?.first == "1")
        // The retention job deletes system_metrics rows: their exception rows go with them.
        try await connection.execute("DELETE FROM system_metrics")
        #expect(try await connection.execute("SELECT count(*) FROM system_metrics_exceptions").first?.first == "0")
        await connection.close()
    }

    /// Minutes recorded while the database does not exist yet wait in memory and are written
    /// once the writer connects.
    @Test func systemMetricsWaitForTheDatabase() async throws {
        let cluster = try TestCluster.current()
        let name = "ingest_test_\(UUID().uuidString.prefix(8).lowercased())"
        var configuration = makeConfiguration(url: cluster.conninfo(database: name), spoolDir: temporarySpoolDirectory())
        configuration.heartbeatInterval = .seconds(1)
        configuration.retry.maxBackoff = .milliseconds(500)
        configuration.instanceID = "waiting-sidecar"
        try await withWriter(configuration) { writer in
            var minute = SidecarMinute(minute: Date().addingTimeInterval(-120))
            minute.requestsByClass = [0, 3, 0, 0, 0]
            writer.recordSystemMinute(minute)
            var later = SidecarMinute(minute: Date())
            later.requestsByClass = [0, 0, 0, 1, 0]
            writer.recordSystemMinute(later)
            try await Task.sleep(for: .seconds(1))
            #expect(writer.systemMetricsBacklog.waiting == 2, "nothing written while the database is missing")
            let admin = try await cluster.connect(cluster.maintenanceDatabase)
            try await admin.execute("CREATE DATABASE \(name)")
            await admin.close()
            let reader = try await PostgresConnection.connect(url: Secret(cluster.conninfo(database: name) + Self.patientConnect))
            try await eventually("both minutes written") {
                let rows = try? await reader.execute("SELECT sum(requests_2xx), sum(requests_4xx), count(*) FROM system_metrics WHERE instance_id = 'waiting-sidecar'")
                return rows?.first == ["3", "1", "2"]
            }
            #expect(writer.systemMetricsBacklog.waiting == 0)
            await reader.close()
        }
    }

    /// The last part-minute, handed over at graceful shutdown, is stored although the next
    /// heartbeat is an hour away: the writer stores it once the queue is flushed (it was dropped).
    @Test func theLastMinuteIsStoredAtGracefulShutdown() async throws {
        let url = try await TestCluster.current().createDatabase()
        var configuration = makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())
        configuration.heartbeatInterval = .seconds(3_600)
        configuration.instanceID = "stopping-sidecar"
        let reader = try await PostgresConnection.connect(url: Secret(url))
        try await withWriter(configuration) { writer in
            try await eventually("the first heartbeat") {
                (try? await reader.execute("SELECT count(*) FROM trackingproxy_instances WHERE instance_id = 'stopping-sidecar'"))?.first == ["1"]
            }
            var minute = SidecarMinute(minute: Date())
            minute.requestsByClass = [0, 7, 0, 0, 0]
            writer.recordSystemMinute(minute)
        }
        let rows = try await reader.execute("SELECT sum(requests_2xx) FROM system_metrics WHERE instance_id = 'stopping-sidecar'")
        #expect(rows.first == ["7"])
        await reader.close()
    }

    /// Migration 5 applies on top of a database at version 4 with system metrics in it.
    @Test func migrationFiveAppliesOnTopOfFour() async throws {
        let url = try await TestCluster.current().createDatabase()
        let connection = try await PostgresConnection.connect(url: Secret(url))
        let upToFour = Migration.all.filter { $0.version <= 4 }
        #expect(try await Migrator(migrations: upToFour, logger: testLogger).migrate(connection) == [1, 2, 3, 4])
        try await connection.execute("INSERT INTO system_metrics (minute, instance_id, requests_2xx) VALUES (date_trunc('minute', now()), 'old', 5)")
        #expect(try await Migrator(logger: testLogger).migrate(connection) == [5])
        #expect(try await connection.execute("SELECT requests_2xx, requests_excluded FROM system_metrics").first == ["5", "0"])
        try await connection.execute("""
            INSERT INTO system_metrics_exceptions (minute, instance_id, exception_id, requests)
            SELECT minute, instance_id, 'health-checks', 2 FROM system_metrics
            """)
        await #expect(throws: StorageError.self) {
            try await connection.execute("INSERT INTO system_metrics_exceptions VALUES (now(), 'nobody', 'x', 1)")
        }
        await connection.close()
    }
}
