import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

@Suite struct ActivityListTests {
    static func ids(_ filter: ActivityFilter, limit: Int = 100, offset: Int = 0) async throws -> (total: Int, ids: [Int]) {
        let page = try await withSeededStore { try await $0.list(filter, page: PageRequest(limit: limit, offset: offset)) }
        return (page.total, page.rows.map(\.seedID))
    }

    @Test func everythingNewestFirstThenID() async throws {
        let result = try await Self.ids(ActivityFilter())
        #expect(result.total == seedRows.count)
        #expect(result.ids == seedOrder)
    }

    @Test(arguments: [
        (try! ActivityFilter(userID: "alice"), [11, 1, 2, 7, 10]),
        (try! ActivityFilter(userID: "nobody"), []),
        (try! ActivityFilter(activityTypes: ["login"]), [4, 6, 7]),
        (try! ActivityFilter(activityTypes: ["login", "report.download"]), [2, 4, 6, 7, 9]),
        (try! ActivityFilter(ipAddress: "192.0.2.1"), [1, 2, 7, 10]),
        (try! ActivityFilter(ipAddress: "192.0.2.0/24"), [11, 1, 2, 5, 7, 9, 10]),
        (try! ActivityFilter(ipAddress: "2001:db8::/32"), [4]),
        (try! ActivityFilter(from: hoursAgo(24)), [11, 1, 2, 3]),
        (try! ActivityFilter(to: hoursAgo(24)), [4, 5, 6, 7, 8, 9, 10]),
        // from is inclusive (row 9 is exactly 10 days old), to is exclusive (row 5 is exactly 2 days old).
        (try! ActivityFilter(from: hoursAgo(240), to: hoursAgo(48)), [6, 7, 8, 9]),
        (try! ActivityFilter(userID: "alice", from: hoursAgo(30 * 24), activityTypes: ["report.view"]), [11, 1]),
        (try! ActivityFilter(userID: "bob", to: hoursAgo(24), ipAddress: "198.51.100.0/24"), [8]),
        (try! ActivityFilter(userID: "carol", from: hoursAgo(24 * 5), activityTypes: ["report.view", "login"], ipAddress: "192.0.2.200"), [5]),
        (try! ActivityFilter(userID: "alice", activityTypes: ["login"], ipAddress: "10.0.0.0/8"), []),
    ])
    func filters(filter: ActivityFilter, expected: [Int]) async throws {
        let result = try await Self.ids(filter)
        #expect(result.ids == expected)
        #expect(result.total == expected.count)
    }

    @Test(arguments: [
        (3, 0, [11, 1, 2], 3 as Int?, nil as Int?),
        (3, 3, [3, 4, 5], 6, 0),
        (3, 9, [9, 10], nil, 6),
        (3, 10, [10], nil, 7),
        (3, 11, [], nil, 8),
        (100, 1_000, [], nil, 900),
        (11, 0, seedOrder, nil, nil),
        (10, 0, Array(seedOrder.prefix(10)), 10, nil),
    ])
    func pages(limit: Int, offset: Int, expected: [Int], next: Int?, previous: Int?) async throws {
        let page = try await withSeededStore { try await $0.list(ActivityFilter(), page: PageRequest(limit: limit, offset: offset)) }
        #expect(page.rows.map(\.seedID) == expected)
        #expect(page.total == seedRows.count)
        #expect(page.nextOffset == next)
        #expect(page.previousOffset == previous)
    }

    @Test func walkingOneRowPagesGivesTheSameOrder() async throws {
        var seen: [Int] = []
        for offset in 0..<seedRows.count {
            seen += try await Self.ids(ActivityFilter(), limit: 1, offset: offset).ids
        }
        #expect(seen == seedOrder)
    }

    @Test func rowsCarryEveryColumn() async throws {
        let page = try await withSeededStore { try await $0.list(ActivityFilter(userID: "alice", activityTypes: ["report.download"]), page: PageRequest()) }
        let row = try #require(page.rows.first)
        #expect(row.id == "00000000-0000-7000-8000-000000000002")
        #expect(row.occurredAt == "2026-03-15T10:00:00.000000Z")
        #expect(row.description == "Downloaded \"Q1, final\"\nreport")
        #expect(row.ipAddress == "192.0.2.1")
        #expect(row.status == 200 && row.durationMs == 12.5 && row.ipVerified && row.method == "GET")
        #expect(row.requestID == "req-00000000-0000-7000-8000-000000000002")
        let parsed = try JSONSerialization.jsonObject(with: Data(row.jsonObject.utf8)) as? [String: Any]
        #expect((parsed?["metadata"] as? [String: Any])?["note"] as? String == "a \"quoted\" value")
        #expect(parsed?["status"] as? Int == 200)
        #expect(parsed?["peer_address"] is NSNull)
        #expect(Set(parsed?.keys.map { $0 } ?? []) == Set(ActivityRow.columnNames))
        #expect(row.csvLine.contains(#","Downloaded ""Q1, final""\#nreport","#))
        #expect(row.csvLine.contains(#","{""note"": ""a \""quoted\"" value"", ""report"": ""Q1""}","#))
        #expect(row.csvLine.hasSuffix("reports.view\r\n"))
        #expect(ActivityRow.csvHeader.hasPrefix("id,occurred_at,user_id,activity_type,"))
    }
}

@Suite struct ActivityExportTests {
    @Test(arguments: [1, 2, 3, 100])
    func streamsEveryRowInOrder(batchSize: Int) async throws {
        var batches: [[Int]] = []
        let sent = try await withSeededStore { store in
            try await store.export(ActivityFilter(), batchSize: batchSize) { rows in batches.append(rows.map(\.seedID)) }
        }
        #expect(sent == seedRows.count)
        #expect(batches.flatMap { $0 } == seedOrder)
        #expect(batches.allSatisfy { $0.count <= batchSize })
    }

    @Test func exportHonoursFilters() async throws {
        var ids: [Int] = []
        try await withSeededStore { store in
            try await store.export(ActivityFilter(userID: "alice", from: hoursAgo(30 * 24)), batchSize: 1) { ids += $0.map(\.seedID) }
        }
        #expect(ids == [11, 1, 2, 7])
    }
}

@Suite struct ActivitySummaryTests {
    @Test func byTypeWithPreviousPeriod() async throws {
        let summary = try await withSeededStore { try await $0.summary(ActivityFilter(), groupBy: .type, now: referenceNow) }
        #expect(summary.from == hoursAgo(7 * 24) && summary.to == referenceNow && summary.previousFrom == hoursAgo(14 * 24))
        #expect(summary.groups.map(\.label) == ["report.view", "login", "report.download"])
        #expect(summary.groups.map(\.count) == [4, 2, 1])
        #expect(summary.groups.map(\.percentage) == [57.14, 28.57, 14.29])
        #expect(summary.groups.map(\.previousCount) == [1, 1, 1])
        #expect(summary.groups.map(\.previousPercentage) == [33.34, 33.33, 33.33])
        #expect(summary.total == 7 && summary.previousTotal == 3)
        #expect(summary.changePercentage == 133.33)
    }

    @Test func byUserWithTopAndMissingUser() async throws {
        let summary = try await withSeededStore { try await $0.summary(ActivityFilter(), groupBy: .user, now: referenceNow) }
        #expect(summary.groups.map(\.key) == [.value("alice"), .value("bob"), .value("carol"), .missing])
        #expect(summary.groups.map(\.count) == [3, 2, 1, 1])
        #expect(summary.groups.map(\.previousCount) == [1, 1, 1, 0])
        #expect(summary.groups.map(\.percentage).reduce(0, +) == 100)
        let top = try await withSeededStore { try await $0.summary(ActivityFilter(), groupBy: .user, top: 2, now: referenceNow) }
        #expect(top.groups.map(\.key) == [.value("alice"), .value("bob"), .others(2)])
        #expect(top.groups.map(\.count) == [3, 2, 2])
        #expect(top.groups.map(\.percentage) == [42.86, 28.57, 28.57])
    }

    @Test func byDayFillsEmptyDaysAndAlignsThePreviousPeriod() async throws {
        let summary = try await withSeededStore { try await $0.summary(ActivityFilter(), groupBy: .day, now: referenceNow) }
        #expect(summary.groups.map(\.label) == (8...15).map { String(format: "2026-03-%02d", $0) })
        #expect(summary.groups.map(\.count) == [0, 0, 0, 0, 1, 1, 1, 4])
        #expect(summary.groups.map(\.previousCount) == [0, 0, 0, 0, 1, 1, 1, 0])
        #expect(summary.groups.map(\.percentage).reduce(0, +).rounded() == 100)
        #expect(Int((summary.groups.map(\.percentage).reduce(0, +) * 100).rounded()) == 10_000)
    }

    @Test func byHourLabels() async throws {
        let filter = try ActivityFilter(from: hoursAgo(4), to: referenceNow)
        let summary = try await withSeededStore { try await $0.summary(filter, groupBy: .hour, now: referenceNow) }
        #expect(summary.groups.map(\.label) == ["2026-03-15T08:00Z", "2026-03-15T09:00Z", "2026-03-15T10:00Z", "2026-03-15T11:00Z"])
        #expect(summary.groups.map(\.count) == [0, 1, 1, 2])
    }

    @Test func filteredSummaryWithEmptyPreviousPeriod() async throws {
        let filter = try ActivityFilter(userID: "bob", from: hoursAgo(30 * 24), to: referenceNow)
        let summary = try await withSeededStore { try await $0.summary(filter, groupBy: .type, now: referenceNow) }
        #expect(summary.groups.map(\.label) == ["report.view", "login"])
        #expect(summary.groups.map(\.count) == [2, 1])
        #expect(summary.previousTotal == 0 && summary.changePercentage == nil)
        #expect(summary.groups.map(\.previousPercentage) == [0, 0])
    }

    @Test func tooManyBuckets() async throws {
        let filter = try ActivityFilter(from: hoursAgo(24 * 500), to: referenceNow)
        await #expect(throws: StorageError.self) {
            try await withSeededStore { try await $0.summary(filter, groupBy: .hour, now: referenceNow) }
        }
    }

    @Test func healthFigures() async throws {
        let figures = try await withSeededStore { try await $0.databaseFigures(now: referenceNow) }
        #expect(figures.rowsToday == 4)
        #expect(figures.activeUsersToday == 2)
        #expect(figures.activeUsersThisWeek == 3)
        #expect(figures.databaseBytes > 1_000_000)
    }
}
