import Foundation
import ConfigValues
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics
@testable import DeploymentConfiguration

@Suite struct PruneTests {
    static func time(_ text: String) -> Date { try! TimeBound(parsing: text).resolve(now: referenceNow, as: .lower) }

    /// Rows on both sides of the month boundaries of January, February and March 2026.
    static let boundaryRows = [
        SeedRow(id: 1, at: time("2026-01-15T00:00:00Z"), user: "a", type: "t"),
        SeedRow(id: 2, at: time("2026-01-31T23:59:59.999Z"), user: "a", type: "t"),
        SeedRow(id: 3, at: time("2026-02-01T00:00:00Z"), user: "a", type: "t"),
        SeedRow(id: 4, at: time("2026-02-14T23:59:59.999Z"), user: "a", type: "t"),
        SeedRow(id: 5, at: time("2026-02-15T00:00:00Z"), user: "a", type: "t"),
        SeedRow(id: 6, at: time("2026-02-28T23:59:59.999Z"), user: "a", type: "t"),
        SeedRow(id: 7, at: time("2026-03-01T00:00:00Z"), user: "a", type: "t"),
    ]

    static func prepare() async throws -> PostgresConnection {
        let url = try await TestDatabase.create(months: [(2026, 1), (2026, 2), (2026, 3)])
        let connection = try await TestDatabase.connect(url)
        try await SeedRow.insert(boundaryRows, into: connection)
        return connection
    }

    static func remaining(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.execute("SELECT right(id::text, 12)::int FROM activity ORDER BY 1").compactMap { $0[0].flatMap { Int($0) } }
    }

    static func partitions(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.execute("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'activity'::regclass AND c.relname LIKE 'activity_2026_0%' ORDER BY 1
            """).compactMap { $0[0] }
    }

    @Test func cutoffOnAMonthBoundaryDropsWholePartitions() async throws {
        let connection = try await Self.prepare()
        defer { Task { await connection.close() } }
        let report = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-03-01T00:00:00Z"), now: referenceNow)
        #expect(report.droppedPartitions == [.init(name: "activity_2026_01", rows: 2), .init(name: "activity_2026_02", rows: 4)])
        #expect(report.deletedRows == 0 && report.removedRows == 6)
        #expect(report.createdPartitions == ["activity_2026_04", "activity_2026_05"])
        #expect(try await Self.remaining(connection) == [7])
        #expect(try await Self.partitions(connection) == ["activity_2026_03", "activity_2026_04", "activity_2026_05"])
        // Running it again finds nothing to do.
        let again = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-03-01T00:00:00Z"), now: referenceNow)
        #expect(again.removedRows == 0 && again.droppedPartitions.isEmpty && again.createdPartitions.isEmpty)
    }

    @Test func cutoffInsideAMonthDeletesTheRest() async throws {
        let connection = try await Self.prepare()
        defer { Task { await connection.close() } }
        let report = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-02-15T00:00:00Z"), now: referenceNow)
        #expect(report.droppedPartitions == [.init(name: "activity_2026_01", rows: 2)])
        #expect(report.deletedRows == 2)
        #expect(try await Self.remaining(connection) == [5, 6, 7])
        #expect(report.summary.contains("removed 4 rows"))
    }

    @Test func oneMillisecondAfterABoundary() async throws {
        let connection = try await Self.prepare()
        defer { Task { await connection.close() } }
        let report = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-02-01T00:00:00.001Z"), now: referenceNow)
        #expect(report.droppedPartitions.map(\.name) == ["activity_2026_01"])
        #expect(report.deletedRows == 1)
        #expect(try await Self.remaining(connection) == [4, 5, 6, 7])
    }

    @Test func dryRunChangesNothing() async throws {
        let connection = try await Self.prepare()
        defer { Task { await connection.close() } }
        let report = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-02-15T00:00:00Z"), now: referenceNow, dryRun: true)
        #expect(report.droppedPartitions.map(\.name) == ["activity_2026_01"] && report.deletedRows == 2 && report.dryRun)
        #expect(try await Self.remaining(connection) == [1, 2, 3, 4, 5, 6, 7])
        #expect(try await Self.partitions(connection) == ["activity_2026_01", "activity_2026_02", "activity_2026_03"])
    }

    @Test func aSecondPruneWaitsItsTurn() async throws {
        let connection = try await Self.prepare()
        let holder = try await TestDatabase.connect(try TestDatabase.conninfo(database: connection.target.split(separator: "/").last.map(String.init) ?? ""))
        defer { Task { await connection.close(); await holder.close() } }
        try await holder.execute("SELECT pg_advisory_lock(\(ActivityStore.pruneLockKey))")
        await #expect {
            _ = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-02-15T00:00:00Z"), now: referenceNow)
        } throws: { ($0 as? StorageError)?.code == .busy }
        #expect(try await Self.remaining(connection).count == 7)
    }

    @Test func cutoffInTheFutureIsRefused() async throws {
        let connection = try await Self.prepare()
        defer { Task { await connection.close() } }
        await #expect(throws: StorageError.self) {
            _ = try await ActivityStore(connection: connection).prune(olderThan: referenceNow.addingTimeInterval(60), now: referenceNow)
        }
    }

    @Test func pruneWhileWriting() async throws {
        let connection = try await Self.prepare()
        let writer = try await TestDatabase.connect(try TestDatabase.conninfo(database: connection.target.split(separator: "/").last.map(String.init) ?? ""))
        defer { Task { await connection.close(); await writer.close() } }
        let rows = (100..<400).map { SeedRow(id: $0, at: Self.time("2026-03-10T00:00:00Z").addingTimeInterval(Double($0)), user: "w", type: "t") }
        async let written: Void = SeedRow.insert(rows, into: writer)
        let report = try await ActivityStore(connection: connection).prune(olderThan: Self.time("2026-03-01T00:00:00Z"), now: referenceNow)
        try await written
        #expect(report.removedRows == 6)
        #expect(try await Self.remaining(connection).count == 1 + rows.count)
    }
}

@Suite struct RetentionTests {
    /// The activity-retention job (which replaced RetentionService) prunes as `db prune` does,
    /// and records its run.
    @Test func jobRunsAPrune() async throws {
        let connection = try await PruneTests.prepare()
        defer { Task { await connection.close() } }
        let database = connection.target.split(separator: "/").last.map(String.init) ?? ""
        let runner = JobRunner(jobs: JobsConfiguration(), retention: RetentionConfiguration(days: 30),
                               databaseURL: Secret(try TestDatabase.conninfo(database: database)), metrics: nil, logger: testLogger)
        let result = await runner.run(.activityRetention, scheduledFor: nil, now: { PruneTests.time("2026-03-16T00:00:00Z") })
        guard case .ran(let run, let report) = result else { Issue.record("the job did not run: \(result)"); return }
        #expect(run.outcome == .ok && run.error == nil)
        // Cutoff 2026-02-14T00:00Z: January dropped whole, the first half of February deleted.
        #expect(report?["dropped_partitions"] == 1 && report?["deleted_rows"] == 1 && report?["removed_rows"] == 3)
        #expect(try await PruneTests.remaining(connection) == [4, 5, 6, 7])
        let recorded = try await connection.execute("SELECT job, outcome, figures->>'removed_rows', scheduled_for IS NULL FROM job_runs")
        #expect(recorded == [["activity-retention", "ok", "3", "t"]])
    }

    @Test func configuration() throws {
        let decoded = try JSONDecoder().decode(RetentionConfiguration.self, from: Data(#"{"days": 90}"#.utf8))
        #expect(decoded.days == 90 && decoded.interval == nil && decoded.problems().isEmpty)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RetentionConfiguration())) as? [String: Any]
        #expect(Set(encoded?.keys.map { $0 } ?? []) == ["days", "interval"])
        // `interval` is refused with a sentence naming the schedule that replaced it.
        let problems = RetentionConfiguration(days: 0, interval: .seconds(86_400)).problems()
        #expect(problems.count == 2 && problems.contains { $0.keyPath == "interval" && $0.message.contains("jobs.activity_retention.schedule") })
    }
}
