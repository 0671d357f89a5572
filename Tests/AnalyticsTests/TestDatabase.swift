import ConfigValues
import Foundation
import Logging
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

/// The test cluster started by `scripts/pg.sh start`, found through the `PG*` variables or, when
/// they are unset, `<package>/.pgdata/env`. Tests fail (never skip) without it.
enum TestDatabase {
    static let envFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".pgdata/env")

    static func variables() throws -> [String: String] {
        var variables = ProcessInfo.processInfo.environment
        if variables["PGPORT"] == nil, let text = try? String(contentsOf: envFile, encoding: .utf8) {
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.contains("=") {
                let parts = word.split(separator: "=", maxSplits: 1)
                variables[String(parts[0])] = String(parts[1])
            }
        }
        guard variables["PGPORT"] != nil, variables["PGHOST"] != nil else {
            throw TestFailure("no PostgreSQL test cluster: run `scripts/pg.sh start`, which writes .pgdata/env with PGHOST and PGPORT")
        }
        return variables
    }

    static func conninfo(database: String) throws -> String {
        let variables = try variables()
        return "host=\(variables["PGHOST"]!) port=\(variables["PGPORT"]!) user=\(variables["PGUSER"] ?? "postgres") dbname=\(database) connect_timeout=15"
    }

    /// A fresh, migrated database with partitions for `months` (year, month).
    static func create(months: [(Int, Int)]) async throws -> String {
        let name = "analytics_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(url: Secret(conninfo(database: try variables()["PGDATABASE"] ?? "postgres")))
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        let url = try conninfo(database: name)
        let connection = try await PostgresConnection.connect(url: Secret(url))
        try await Migrator(migrations: Migration.all, logger: testLogger).migrate(connection)
        try await connection.run { session in
            var partitions = Partitions()
            try partitions.ensure(Set(months.map { MonthPartition(year: $0.0, month: $0.1) }), session: session)
        }
        await connection.close()
        return url
    }

    static func connect(_ url: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(url: Secret(url))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let testLogger: Logger = {
    var logger = Logger(label: "analytics-tests")
    logger.logLevel = .error
    return logger
}()

/// A row to insert, with the columns the tests vary.
struct SeedRow {
    var id: Int
    var at: Date
    var user: String?
    var type: String
    var ip: String? = nil
    var description: String = "did something"
    var metadata: String = #"{"k": 1}"#

    var uuid: String { String(format: "00000000-0000-7000-8000-%012d", id) }

    static func insert(_ rows: [SeedRow], into connection: PostgresConnection) async throws {
        for row in rows {
            try await connection.execute("""
                INSERT INTO activity (id, occurred_at, user_id, activity_type, description, method, path, status,
                                      ip_address, user_agent, metadata, request_id, duration_ms, ip_verified, rule_id)
                VALUES ($1::uuid, $2::timestamptz, $3, $4, $5, 'GET', '/api/reports/1', 200, $6::inet, 'tests/1.0',
                        $7::jsonb, 'req-' || $1, 12.5, true, 'reports.view')
                """, parameters: [row.uuid, SQLTime.text(row.at), row.user, row.type, row.description, row.ip, row.metadata])
        }
    }
}

/// 2026-03-15T12:00:00Z, a Sunday: the tests' "now".
let referenceNow = Date(timeIntervalSince1970: 1_773_576_000)

func hoursAgo(_ hours: Double) -> Date { referenceNow.addingTimeInterval(-hours * 3_600) }

/// Known rows around `referenceNow`; ids sort in the same order as the numbers.
let seedRows: [SeedRow] = [
    SeedRow(id: 1, at: hoursAgo(1), user: "alice", type: "report.view", ip: "192.0.2.1"),
    SeedRow(id: 2, at: hoursAgo(2), user: "alice", type: "report.download", ip: "192.0.2.1",
            description: "Downloaded \"Q1, final\"\nreport", metadata: #"{"report": "Q1", "note": "a \"quoted\" value"}"#),
    SeedRow(id: 3, at: hoursAgo(3), user: "bob", type: "report.view", ip: "198.51.100.7"),
    SeedRow(id: 4, at: hoursAgo(25), user: "bob", type: "login", ip: "2001:db8::1"),
    SeedRow(id: 5, at: hoursAgo(48), user: "carol", type: "report.view", ip: "192.0.2.200"),
    SeedRow(id: 6, at: hoursAgo(72), user: nil, type: "login", ip: "10.1.2.3"),
    SeedRow(id: 7, at: hoursAgo(8 * 24), user: "alice", type: "login", ip: "192.0.2.1"),
    SeedRow(id: 8, at: hoursAgo(9 * 24), user: "bob", type: "report.view", ip: "198.51.100.7"),
    SeedRow(id: 9, at: hoursAgo(10 * 24), user: "carol", type: "report.download", ip: "192.0.2.200"),
    SeedRow(id: 10, at: hoursAgo(40 * 24), user: "alice", type: "report.view", ip: "192.0.2.1"),
    // Same moment as row 1: the order falls back to id, descending.
    SeedRow(id: 11, at: hoursAgo(1), user: "alice", type: "report.view", ip: "192.0.2.9"),
]

/// Ids of `seedRows` in the listing order: newest first, then id descending.
let seedOrder = [11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

/// One database with `seedRows`, shared by the read-only tests.
actor SeededDatabase {
    static let shared = SeededDatabase()
    private var url: String?

    func get() async throws -> String {
        if let url { return url }
        let created = try await TestDatabase.create(months: [(2026, 1), (2026, 2), (2026, 3), (2026, 4)])
        let connection = try await TestDatabase.connect(created)
        try await SeedRow.insert(seedRows, into: connection)
        await connection.close()
        url = created
        return created
    }
}

/// Runs `body` with a store on the seeded database.
@discardableResult
func withSeededStore<T>(_ body: (ActivityStore) async throws -> T) async throws -> T {
    await ConnectionGate.shared.acquire()
    do {
        let connection = try await TestDatabase.connect(try await SeededDatabase.shared.get())
        do {
            let result = try await body(ActivityStore(connection: connection))
            await connection.close()
            await ConnectionGate.shared.release()
            return result
        } catch {
            await connection.close()
            throw error
        }
    } catch {
        await ConnectionGate.shared.release()
        throw error
    }
}

/// At most `limit` seeded-store connections at once. Swift Testing runs parameterised cases in
/// parallel; dozens of simultaneous connects on two busy cores (right after a clean build) outlasted
/// libpq's connect timeout in a clean-clone run. Each holder takes one permit and gives it back, so
/// waiting cannot deadlock.
actor ConnectionGate {
    static let shared = ConnectionGate(limit: 4)
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = limit }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

extension ActivityRow {
    /// The seed number of the row (the last digits of its id).
    var seedID: Int { Int(id.suffix(12)) ?? -1 }
}
