import ConfigValues
import Foundation
import Synchronization
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

/// `db import-legacy` from a real Django-shaped `user_activity` table in a second database on the
/// test server, into a fresh schema that has only this month's partitions and the next ones.
@Suite struct LegacyImportTests {
    struct Stop: Error {}

    /// A source database with `user_activity` (the Django model's columns; `ip_address` as text so
    /// that it can hold a bad address) and its rows: 30 ordinary rows over three 2024 months, then
    /// the hostile ones.
    static func source() async throws -> (url: String, connection: PostgresConnection) {
        let name = "legacy_source_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(url: Secret(TestDatabase.conninfo(database: try TestDatabase.variables()["PGDATABASE"] ?? "postgres")))
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        let url = try TestDatabase.conninfo(database: name)
        let connection = try await TestDatabase.connect(url)
        try await connection.execute("""
            CREATE TABLE user_activity (
                id uuid, user_id integer, activity_type varchar(50), description text, ip_address text,
                user_agent text, metadata jsonb, "timestamp" timestamptz);
            INSERT INTO user_activity
            SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, n % 4, 'report_view', 'Viewed report ' || n,
                   '192.0.2.' || n, 'Mozilla/5.0', jsonb_build_object('report', n),
                   timestamptz '2024-01-10 08:00:00+00' + (n * interval '3 days')
            FROM generate_series(1, 30) AS n;
            INSERT INTO user_activity VALUES
                ('00000000-0000-4000-9000-000000000001', NULL, 'login', 'anonymous', '198.51.100.1', NULL, '{}', '2024-02-01 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000002', 7, 'login', 'bad address', 'not-an-ip', NULL, '{}', '2024-02-02 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000003', 7, 'export', repeat('x', 1100000), '10.0.0.1/32', NULL, '{}', '2024-02-03 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000004', 7, 'export', 'array metadata', NULL, NULL, '[1, 2]', '2024-02-04 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000005', 7, 'export', 'string metadata', NULL, NULL, '"text"', '2024-02-05 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000006', 7, 'export', 'null metadata', NULL, NULL, NULL, '2024-02-06 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000007', 7, NULL, 'no type', NULL, E'tab\there', 'null', '2024-02-07 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000008', 7, 'export', 'no time', NULL, NULL, '{}', NULL),
                (NULL, 7, 'export', 'no id', NULL, NULL, '{}', '2024-02-09 00:00:00+00'),
                ('00000000-0000-4000-9000-000000000010', 7, 'export', 'before 1970', NULL, NULL, '{}', '1969-12-31 00:00:00+00');
            """)
        return (url, connection)
    }

    static func destination() async throws -> (url: String, connection: PostgresConnection) {
        let url = try await TestDatabase.create(months: [])
        return (url, try await TestDatabase.connect(url))
    }

    static func state(_ connection: PostgresConnection) async throws -> [[String?]] {
        try await connection.execute("SELECT id::text, occurred_at::text, user_id, activity_type, rule_id, ip_verified, metadata::text FROM activity ORDER BY id")
    }

    @Test func importsRepairsAndReports() async throws {
        let (sourceURL, source) = try await Self.source()
        let (_, destination) = try await Self.destination()
        defer { Task { await source.close(); await destination.close() } }
        // Before: a row older than this month finds no partition.
        await #expect(throws: StorageError.self) {
            try await destination.execute("INSERT INTO activity (id, occurred_at, activity_type) VALUES (gen_random_uuid(), '2024-01-15', 'x')")
        }
        let lines = LineLog()
        let importer = try LegacyImport(batchSize: 8)
        let report = try await importer.run(source: source, destination: destination) { lines.append($0.line) }
        let progress = report.progress
        // 30 ordinary + 7 hostile rows imported; refused: no timestamp + no id (counted up front), before 1970.
        #expect(progress.imported == 37 && progress.refused == 3 && progress.alreadyPresent == 0, "\(progress)")
        #expect(progress.repaired == 3)  // bad address, huge description, no type (a /32 host is no repair)
        #expect(report.importedPerMonth.map(\.month) == ["2024-01", "2024-02", "2024-03", "2024-04"])
        #expect(report.importedPerMonth.map(\.rows).reduce(0, +) == 37)
        #expect(report.refusals.contains { $0.reason.contains("1970") } && report.refusals.contains { $0.reason.contains("without an id or a timestamp") })
        #expect(lines.count >= 5 && lines.last?.contains("imported 37") == true)

        let rows = try await destination.execute("SELECT count(*), bool_and(rule_id = 'legacy-import'), bool_or(ip_verified) FROM activity")
        #expect(rows == [["37", "t", "f"]])
        func one(_ suffix: String, _ column: String) async throws -> String? {
            try await destination.execute("SELECT \(column) FROM activity WHERE id = '00000000-0000-4000-9000-\(suffix)'").first?.first ?? nil
        }
        #expect(try await one("000000000001", "user_id") == nil)
        #expect(try await one("000000000002", "ip_address IS NULL") == "t")
        #expect(try await one("000000000002", "metadata->'legacy_repairs'->>0")?.contains("not-an-ip") == true)
        #expect(try await one("000000000003", "octet_length(description)") == String(1 << 20))
        #expect(try await one("000000000003", "host(ip_address)") == "10.0.0.1")
        #expect(try await one("000000000004", "metadata::text") == #"{"legacy_metadata": [1, 2]}"#)
        #expect(try await one("000000000005", "metadata::text") == #"{"legacy_metadata": "text"}"#)
        #expect(try await one("000000000006", "metadata::text") == "{}")
        #expect(try await one("000000000007", "activity_type || '|' || user_agent") == "legacy.unknown|tab\there")
        #expect(try await one("000000000007", "metadata ? 'legacy_repairs'") == "t")
        // The past months' partitions were created, and the hourly rollup counted the rows.
        let partitions = try await destination.execute("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname LIKE 'activity_2024_0%'")
        #expect(partitions == [["4"]])
        #expect(try await RollupTests.rollupMatchesRows(destination))
        _ = sourceURL

        // A rerun adds nothing.
        let before = try await Self.state(destination)
        let again = try await importer.run(source: source, destination: destination) { _ in }
        #expect(again.progress.imported == 0 && again.progress.alreadyPresent == 37)
        #expect(try await Self.state(destination) == before)
    }

    /// Stopped after two batches (as by Ctrl-C), then run again: the same end state as one run.
    @Test func anInterruptedImportResumes() async throws {
        let (_, source) = try await Self.source()
        let (_, whole) = try await Self.destination()
        let (_, resumed) = try await Self.destination()
        defer { Task { await source.close(); await whole.close(); await resumed.close() } }
        let importer = try LegacyImport(batchSize: 5)
        _ = try await importer.run(source: source, destination: whole) { _ in }
        await #expect(throws: Stop.self) {
            _ = try await importer.run(source: source, destination: resumed) { if $0.batches == 2 { throw Stop() } }
        }
        // Two batches of five: the 1969 row (refused) and nine imported.
        #expect(try await resumed.execute("SELECT count(*) FROM activity").first?.first == "9")
        let second = try await importer.run(source: source, destination: resumed) { _ in }
        #expect(second.progress.imported == 28 && second.progress.alreadyPresent == 9)
        #expect(try await Self.state(resumed) == (try await Self.state(whole)))
    }

    @Test func sinceLimitsTheRows() async throws {
        let (_, source) = try await Self.source()
        let (_, destination) = try await Self.destination()
        defer { Task { await source.close(); await destination.close() } }
        let since = try TimeBound(parsing: "2024-03-01").resolve(now: referenceNow, as: .lower)
        let report = try await LegacyImport(since: since).run(source: source, destination: destination) { _ in }
        #expect(report.importedPerMonth.map(\.month) == ["2024-03", "2024-04"])
        #expect(try await destination.execute("SELECT count(*) FROM activity WHERE occurred_at < '2024-03-01'").first?.first == "0")
    }

    @Test(arguments: ["user_activity; DROP TABLE x", "", "a.b.c", "1table", "public.user_activity\""])
    func refusesTableNamesThatAreNotIdentifiers(name: String) {
        #expect(throws: StorageError.self) { try LegacyImport(table: name) }
    }
}

/// Lines written by a progress callback, readable from the test.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var count: Int { lines.withLock { $0.count } }
    var last: String? { lines.withLock { $0.last } }
}
