import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

@Suite struct RollupTests {
    static let filters: [ActivityFilter] = [
        try! ActivityFilter(),
        try! ActivityFilter(from: hoursAgo(4), to: referenceNow),
        try! ActivityFilter(from: hoursAgo(30 * 24), to: hoursAgo(1)),
        try! ActivityFilter(from: hoursAgo(14 * 24), activityTypes: ["login", "report.download"]),
        // Not whole hours from the clock's hour: edges on both sides.
        try! ActivityFilter(from: hoursAgo(7 * 24 + 0.5), to: hoursAgo(0.5)),
    ]

    @Test(arguments: filters, [SummaryGrouping.type, .day, .hour])
    func rollupAndScanAgree(filter: ActivityFilter, grouping: SummaryGrouping) async throws {
        let (scan, rollup) = try await withSeededStore { store in
            (try await store.summary(filter, groupBy: grouping, top: nil, now: referenceNow, rollup: false),
             try await store.summary(filter, groupBy: grouping, top: nil, now: referenceNow, rollup: true))
        }
        #expect(scan.groups == rollup.groups)
        #expect(scan.total == rollup.total && scan.previousTotal == rollup.previousTotal)
    }

    static let countFilters: [ActivityFilter] = filters + [
        try! ActivityFilter(from: hoursAgo(48.25)),
        try! ActivityFilter(to: hoursAgo(2.75)),
        try! ActivityFilter(from: hoursAgo(1.5), to: hoursAgo(1.25)),
        try! ActivityFilter(from: hoursAgo(1.25), to: hoursAgo(0.75)),
        try! ActivityFilter(activityTypes: ["report.view"]),
    ]

    @Test(arguments: countFilters)
    func rollupCountsAgreeWithCounting(filter: ActivityFilter) async throws {
        let (fromRollup, counted) = try await withSeededStore { store in
            var rollupParameters = SQLParameters()
            let rollupSQL = ActivityStore.rollupCountSQL(filter, &rollupParameters)
            var plainParameters = SQLParameters()
            let plainSQL = "SELECT count(*) FROM activity " + ActivityStore.whereClause(filter, &plainParameters)
            return (try await store.connection.execute(rollupSQL, parameters: rollupParameters.values).first?.first ?? nil,
                    try await store.connection.execute(plainSQL, parameters: plainParameters.values).first?.first ?? nil)
        }
        #expect(fromRollup == counted)
    }

    @Test func periodsThatAreNotWholeHoursScan() {
        #expect(SummaryPeriod(from: hoursAgo(2.5), to: referenceNow).rollupBoundaries == nil)
        #expect(SummaryPeriod(from: hoursAgo(0.5), to: referenceNow).rollupBoundaries == nil)
        let boundaries = SummaryPeriod(from: hoursAgo(24.5), to: hoursAgo(0.5)).rollupBoundaries
        #expect(boundaries?.a == hoursAgo(48) && boundaries?.b == hoursAgo(25) && boundaries?.c == hoursAgo(24) && boundaries?.d == hoursAgo(1))
    }

    static func rollupMatchesRows(_ connection: PostgresConnection) async throws -> Bool {
        let difference = try await connection.execute("""
            SELECT count(*) FROM (
                (SELECT hour, activity_type, rows FROM activity_hourly
                 EXCEPT SELECT date_trunc('hour', occurred_at, 'UTC'), activity_type, count(*) FROM activity GROUP BY 1, 2)
                UNION ALL
                (SELECT date_trunc('hour', occurred_at, 'UTC'), activity_type, count(*) FROM activity GROUP BY 1, 2
                 EXCEPT SELECT hour, activity_type, rows FROM activity_hourly)
            ) AS mismatches
            """)
        return difference.first?.first == "0"
    }

    @Test func triggersKeepTheRollupExact() async throws {
        let connection = try await PruneTests.prepare()
        defer { Task { await connection.close() } }
        #expect(try await Self.rollupMatchesRows(connection))
        // A replayed batch (ON CONFLICT DO NOTHING) adds nothing.
        try await connection.execute("""
            INSERT INTO activity (id, occurred_at, activity_type) SELECT id, occurred_at, activity_type FROM activity ON CONFLICT DO NOTHING
            """)
        #expect(try await Self.rollupMatchesRows(connection))
        try await connection.execute("DELETE FROM activity WHERE right(id::text, 1) = '3'")
        #expect(try await Self.rollupMatchesRows(connection))
        _ = try await ActivityStore(connection: connection).prune(olderThan: PruneTests.time("2026-02-15T00:00:00Z"), now: referenceNow)
        #expect(try await Self.rollupMatchesRows(connection))
        let hours = try await connection.execute("SELECT count(*) FROM activity_hourly WHERE hour < '2026-02-01'")
        #expect(hours.first?.first == "0")
        try await connection.execute("TRUNCATE activity")
        #expect(try await connection.execute("SELECT count(*) FROM activity_hourly").first?.first == "0")
    }
}
