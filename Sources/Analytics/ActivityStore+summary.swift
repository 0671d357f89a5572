import Foundation
import PostgreSQL

extension ActivityStore {
    /// The largest number of day or hour buckets a summary may have.
    public static var maxBuckets: Int { SummaryPeriod.maxBuckets }

    /// Counts of the rows matching `filter` per group, over `filter`'s period (default: the 7
    /// days before `now`), with the previous period of equal length.
    ///
    /// - Parameter top: for type and user, keep the `top` largest groups and fold the rest into
    ///   one `.others` group, so that shares still add up to 100 %. `nil` keeps every group.
    /// - Throws: `StorageError` `.invalidInput` when the period breaks `SummaryPeriod`'s
    ///   invariants or `top` is outside `ActivitySummary.tops`.
    public func summary(_ filter: ActivityFilter, groupBy grouping: SummaryGrouping, top: Int? = nil, now: Date = Date()) async throws -> ActivitySummary {
        try await summary(filter, groupBy: grouping, top: top, now: now, rollup: nil)
    }

    /// `rollup`: `nil` reads `activity_hourly` or `activity_daily` when they exist and can answer;
    /// tests force a path (`false`: scan only, `true`: the hourly rollup).
    func summary(_ filter: ActivityFilter, groupBy grouping: SummaryGrouping, top: Int?, now: Date, rollup: Bool?) async throws -> ActivitySummary {
        let period = try SummaryPeriod(filter: filter, grouping: grouping, now: now)
        if let top { try ActivitySummary.checkTop(top) }
        var useRollup = rollup ?? false
        if rollup == nil, period.rollupBoundaries != nil, grouping != .user, filter.userID == nil, filter.ipAddress == nil {
            useRollup = try await hasRollup()
        }
        precondition(!useRollup || (period.rollupBoundaries != nil && grouping != .user && filter.userID == nil && filter.ipAddress == nil),
                     "the rollup answers only whole hours by type and time, without user or address filters")
        let rows: [[String?]]
        if rollup == nil, !useRollup, let candidates = period.dailyCandidates(grouping: grouping, filter: filter), try await hasDailyRollup() {
            // The days' validity and the counts in one snapshot, so that they agree.
            rows = try await connection.run { session in
                try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", operation: "activity summary")
                do {
                    let days = try Self.validDailyDays(candidates, session: session)
                    var parameters = SQLParameters()
                    let sql = Self.summarySQL(period: period, grouping: grouping, parameters: &parameters) { parameters in
                        days.isEmpty ? period.scanSource(filter, &parameters) : period.dailySource(filter, days: days, &parameters)
                    }
                    let rows = try session.execute(sql, parameters: parameters.values, operation: "activity summary")
                    try session.execute("COMMIT", operation: "activity summary")
                    return rows
                } catch {
                    if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "activity summary") }
                    throw error
                }
            }
        } else {
            var parameters = SQLParameters()
            let sql = Self.summarySQL(period: period, grouping: grouping, parameters: &parameters) { parameters in
                useRollup ? period.rollupSource(filter, &parameters) : period.scanSource(filter, &parameters)
            }
            rows = try await connection.execute(sql, parameters: parameters.values, operation: "activity summary")
        }
        return try Self.summary(rows: rows, period: period, grouping: grouping, top: top)
    }

    /// The summary's statement over `source`'s rows `(t, activity_type, user_id, n)`.
    static func summarySQL(period: SummaryPeriod, grouping: SummaryGrouping, parameters: inout SQLParameters,
                           source makeSource: (inout SQLParameters) -> String) -> String {
        // One pass covers both periods: rows before `from` are the previous period's and, for day
        // and hour, are shifted forward by the period's length onto the bucket they compare with.
        let fromParameter = parameters.add(SQLTime.text(period.from))
        // Only the buckets of a time grouping need the end here; the sources bound time themselves.
        let toParameter = grouping.bucketSeconds == nil ? "" : parameters.add(SQLTime.text(period.to))
        let source = makeSource(&parameters)
        let isCurrent = "t >= \(fromParameter)::timestamptz"
        let counts = "sum(n) FILTER (WHERE \(isCurrent)) AS current_count, sum(n) FILTER (WHERE NOT (\(isCurrent))) AS previous_count"
        switch grouping {
        case .type, .user:
            let column = grouping == .type ? "activity_type" : "user_id"
            return """
                WITH source AS (\(source)), counted AS (SELECT \(column) AS key, \(counts) FROM source GROUP BY 1)
                SELECT key, coalesce(current_count, 0), coalesce(previous_count, 0) FROM counted ORDER BY 2 DESC, 3 DESC, 1
                """
        case .day, .hour:
            let unit = grouping == .day ? "day" : "hour"
            let format = grouping == .day ? "YYYY-MM-DD" : "YYYY-MM-DD\"T\"HH24:00\"Z\""
            let shift = parameters.add(String(format: "%.6f seconds", period.length))
            let shifted = "CASE WHEN \(isCurrent) THEN t ELSE t + \(shift)::interval END"
            return """
                WITH source AS (\(source)), counted AS (
                    SELECT date_trunc('\(unit)', (\(shifted)) AT TIME ZONE 'UTC') AS bucket, \(counts) FROM source GROUP BY 1
                ), buckets AS (
                    SELECT generate_series(
                        date_trunc('\(unit)', \(fromParameter)::timestamptz AT TIME ZONE 'UTC'),
                        (\(toParameter)::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC',
                        interval '1 \(unit)') AS bucket
                )
                SELECT to_char(buckets.bucket, '\(format)'), coalesce(counted.current_count, 0), coalesce(counted.previous_count, 0)
                FROM buckets LEFT JOIN counted ON counted.bucket = buckets.bucket ORDER BY buckets.bucket
                """
        }
    }

    /// The summary from the statement's rows: groups, `top` folding, shares.
    static func summary(rows: [[String?]], period: SummaryPeriod, grouping: SummaryGrouping, top: Int?) throws -> ActivitySummary {
        var groups: [ActivitySummary.Group] = []
        for row in rows {
            guard row.count == 3 else { throw StorageError.unexpectedAnswer("activity summary", "a row has \(row.count) columns, not 3") }
            groups.append(ActivitySummary.Group(
                key: row[0].map(ActivitySummary.Group.Key.value) ?? .missing,
                count: try RowCount.parse(row[1], "activity summary"), percentage: 0,
                previousCount: try RowCount.parse(row[2], "activity summary"), previousPercentage: 0))
        }
        // Groups only in the previous period (count 0) sort last; kept, they show what vanished.
        // `top < groups.count - 1`, not `groups.count > top + 1`: no sum that could overflow.
        if let top, grouping.bucketSeconds == nil, top < groups.count - 1 {
            let rest = groups[top...]
            groups = Array(groups[..<top]) + [ActivitySummary.Group(
                key: .others(rest.count), count: RowCount.sum(rest.map(\.count)), percentage: 0,
                previousCount: RowCount.sum(rest.map(\.previousCount)), previousPercentage: 0)]
        }
        let shares = ActivitySummary.percentages(groups.map(\.count))
        let previousShares = ActivitySummary.percentages(groups.map(\.previousCount))
        for index in groups.indices {
            groups[index].percentage = shares[index]
            groups[index].previousPercentage = previousShares[index]
        }
        return ActivitySummary(
            grouping: grouping, from: period.from, to: period.to, previousFrom: period.previousFrom,
            total: RowCount.sum(groups.map(\.count)), previousTotal: RowCount.sum(groups.map(\.previousCount)),
            groups: groups)
    }

    /// Whether the `activity_daily` rollup exists (see `Migration.scheduledJobs`).
    func hasDailyRollup() async throws -> Bool {
        try await connection.execute("SELECT to_regclass('activity_daily_days') IS NOT NULL", operation: "activity summary: daily rollup").first?.first == "t"
    }

    /// The days among `candidates` (day numbers) that `activity_daily` answers exactly: computed,
    /// and their total still equal to the day's total in `activity_hourly`, which triggers keep
    /// exact. A row added or removed since (a late row, an import, a prune) fails the check and
    /// the summary scans that day until `daily-rollup` computes it again. Equal totals after both
    /// an added and a removed row of the same day would pass: the one case this check misses.
    static func validDailyDays(_ candidates: [Int], session: PostgresSession) throws(StorageError) -> [Int] {
        guard !candidates.isEmpty else { return [] }
        let array = "{" + candidates.map(dayText).joined(separator: ",") + "}"
        let rows = try session.execute("""
            SELECT d.day - date '1970-01-01' FROM activity_daily_days d
            WHERE d.day = ANY($1::date[])
              AND d.rows = coalesce((SELECT sum(h.rows) FROM activity_hourly h
                                     WHERE h.hour >= d.day::timestamp AT TIME ZONE 'UTC'
                                       AND h.hour < (d.day + 1)::timestamp AT TIME ZONE 'UTC'), 0)
            ORDER BY 1
            """, parameters: [array], operation: "activity summary: daily days")
        return rows.compactMap { $0.first.flatMap { $0.flatMap { Int($0) } } }
    }

    /// Whether the `activity_hourly` rollup exists (see `Migration.analyticsRollup`).
    func hasRollup() async throws -> Bool {
        try await connection.execute("SELECT to_regclass('activity_hourly') IS NOT NULL", operation: "activity summary: rollup").first?.first == "t"
    }
}
