import Foundation

extension SummaryPeriod {
    /// The whole UTC days (day numbers) of both periods that `activity_daily` could answer, or
    /// `nil` when it should not be tried: only where the hourly rollup cannot help (grouping by
    /// user, or a user filter), never with an address filter or by hour, and only for periods of
    /// whole days (so that, by day, the previous period's days shift onto this period's days).
    func dailyCandidates(grouping: SummaryGrouping, filter: ActivityFilter) -> [Int]? {
        guard grouping == .user || filter.userID != nil, grouping != .hour, filter.ipAddress == nil,
              length >= 86_400, length.truncatingRemainder(dividingBy: 86_400) == 0 else { return nil }
        let (a, b) = (Self.ceilDay(previousFrom), Self.floorDay(from))
        let (c, d) = (Self.ceilDay(from), Self.floorDay(to))
        let days = Array(a..<max(a, b)) + Array(c..<max(c, d))
        return days.isEmpty ? nil : days
    }

    /// Rows `(t, activity_type, user_id, n)` from `activity_daily` for `days` (sorted day numbers,
    /// each inside the periods) and from `activity` for the rest of [previousFrom, to).
    func dailySource(_ filter: ActivityFilter, days: [Int], _ parameters: inout SQLParameters) -> String {
        var conditions: [String] = []
        if let userID = filter.userID { conditions.append("user_id = \(parameters.add(userID))") }
        if !filter.activityTypes.isEmpty {
            conditions.append("activity_type IN (\(filter.activityTypes.map { parameters.add($0) }.joined(separator: ", ")))")
        }
        let extra = conditions.map { " AND " + $0 }.joined()
        let dayArray = parameters.add("{" + days.map(ActivityStore.dayText).joined(separator: ",") + "}")
        // The complement of the days in [previousFrom, to), as half-open ranges.
        var ranges: [(Date, Date)] = []
        var start = previousFrom
        for day in days {
            let dayStart = Date(timeIntervalSince1970: Double(day) * 86_400)
            if start < dayStart { ranges.append((start, dayStart)) }
            start = max(start, dayStart.addingTimeInterval(86_400))
        }
        if start < to { ranges.append((start, to)) }
        var scan = ""
        if !ranges.isEmpty {
            let timeRanges = ranges.map { range in
                "(occurred_at >= \(parameters.add(SQLTime.text(range.0)))::timestamptz AND occurred_at < \(parameters.add(SQLTime.text(range.1)))::timestamptz)"
            }
            scan = """

                UNION ALL
                SELECT occurred_at, activity_type, user_id, 1 FROM activity WHERE (\(timeRanges.joined(separator: " OR ")))\(extra)
                """
        }
        return """
            SELECT day::timestamp AT TIME ZONE 'UTC' AS t, activity_type, user_id, rows AS n FROM activity_daily
            WHERE day = ANY(\(dayArray)::date[])\(extra)\(scan)
            """
    }

    /// Day numbers (days since 1970-01-01, UTC).
    static func floorDay(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }
    static func ceilDay(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.up)) }
}
