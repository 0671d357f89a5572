@testable import Analytics
@testable import PostgreSQL
import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Ingest

/// `system-health` lists the sidecars from the heartbeats their writers publish.
@Suite struct SystemHealthInstancesTests {
    @Test func listsEveryInstanceWithItsAgeAndFigures() async throws {
        let url = try await TestDatabase.create(months: [])
        func writer(_ id: String) -> ActivityWriter {
            var configuration = IngestConfiguration()
            configuration.database.url = Secret(url)
            configuration.instanceID = id
            configuration.heartbeatInterval = .seconds(1)
            configuration.spool.dir = FileManager.default.temporaryDirectory.appendingPathComponent("health-\(UUID().uuidString)").path
            return ActivityWriter(configuration: configuration, version: "9.9.9", logger: testLogger)
        }
        let (first, second) = (writer("reports-a"), writer("reports-b"))
        let pool = ConnectionPool(url: Secret(url), logger: testLogger)
        let api = AnalyticsAPI(
            configuration: Tokens.configuration, pool: pool,
            runtimeFigures: { RuntimeFigures(uptimeSeconds: 1) },
            logger: testLogger)
        let router = Router()
        addAnalyticsRoutes(to: router, api: api)
        try await whileRunning(first) {
            try await whileRunning(second) {
                try await Application(router: router, logger: testLogger).test(.live) { client in
                    var instances: [[String: Any]] = []
                    var ingest: [String: Any] = [:]
                    try await eventually("both instances listed") {
                        let response = try await get(client, "/api/v1/analytics/system-health/", token: Tokens.admin)
                        #expect(response.status == .ok && response.json["status"] as? String == "ok")
                        instances = response.json["instances"] as? [[String: Any]] ?? []
                        ingest = response.json["ingest"] as? [String: Any] ?? [:]
                        return Set(instances.compactMap { $0["instance_id"] as? String }) == ["reports-a", "reports-b"]
                    }
                    // The ingest totals are the live sidecars' (the analytics service writes nothing).
                    #expect(ingest["live_instances"] as? Int == 2 && ingest["queue_depth"] as? Int == 0 && ingest["spool_bytes"] as? Int == 0)
                    for instance in instances {
                        #expect(Set(instance.keys) == [
                            "instance_id", "hostname", "version", "state", "started_at", "heartbeat_at", "age_seconds", "queue_depth",
                            "spool_bytes", "spool_records", "last_write", "rows_written", "dropped", "dead_lettered",
                        ])
                        #expect(instance["version"] as? String == "9.9.9")
                        #expect(instance["hostname"] as? String == first.identity.hostname)
                        #expect((instance["age_seconds"] as? Int).map { (0...10).contains($0) } == true)
                        #expect(instance["rows_written"] as? Int == 0 && instance["last_write"] is NSNull)
                        let heartbeat = try #require(instance["heartbeat_at"] as? String)
                        #expect(try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(heartbeat) > Date().addingTimeInterval(-60))
                    }
                }
            }
        }
        await pool.close()
    }
}
