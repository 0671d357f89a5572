import Foundation
import PostgreSQL

extension ActivityStore {
    /// The weekly report of `week` as of `now`: the summary queries over [start, end) for totals,
    /// types, users, days and hours (the previous period of a 7-day summary is the week before),
    /// one query for new and returning users, one per week over `system_metrics`.
    public func weeklyReport(week: ISOWeek, now: Date) async throws -> WeeklyReport {
        let filter = try ActivityFilter(from: week.start, to: week.end)
        let types = try await summary(filter, groupBy: .type, top: WeeklyReport.typeLines, now: now)
        // One more than shown: rows without a user form a group, which the report leaves out.
        let users = try await summary(filter, groupBy: .user, top: WeeklyReport.userLines + 1, now: now)
        let days = try await summary(filter, groupBy: .day, now: now)
        let hours = try await summary(filter, groupBy: .hour, now: now)
        let weeklyUsers = try await weeklyUsers(week)
        let system = try await systemFigures(from: week.start, to: week.end)
        let previousSystem = try await systemFigures(from: week.previous.start, to: week.start)
        func line(_ group: ActivitySummary.Group, label: String? = nil) -> WeeklyReport.Line {
            WeeklyReport.Line(label: label ?? group.label, count: group.count, previousCount: group.previousCount)
        }
        let userGroups = users.groups.filter { group in
            guard case .value = group.key else { return false }
            return group.count > 0
        }
        return WeeklyReport(
            week: week, generatedAt: now, total: types.total, previousTotal: types.previousTotal,
            types: types.groups.map { line($0) },
            topUsers: userGroups.prefix(WeeklyReport.userLines).map { line($0) },
            days: days.groups.enumerated().map { index, group in line(group, label: "\(Self.weekdayNames[index % 7]) \(group.label)") },
            busiestHours: Self.busiestHours(hours.groups),
            users: weeklyUsers, system: system, previousSystem: previousSystem)
    }

    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// The hours of the day (UTC) with the most rows over the week: the summary's hourly buckets
    /// (`2026-11-23T14:00Z`) added up by hour of the day, busiest first (earlier hour of equals).
    static func busiestHours(_ buckets: [ActivitySummary.Group]) -> [WeeklyReport.Line] {
        var counts = Array(repeating: 0, count: 24), previous = Array(repeating: 0, count: 24)
        for bucket in buckets {
            // The label is `YYYY-MM-DDTHH:00Z`: the hour is the two digits after `T`.
            guard let t = bucket.label.firstIndex(of: "T"), let hour = Int(bucket.label[bucket.label.index(after: t)...].prefix(2)),
                  counts.indices.contains(hour) else { continue }
            counts[hour] = RowCount.sum([counts[hour], bucket.count])
            previous[hour] = RowCount.sum([previous[hour], bucket.previousCount])
        }
        return counts.indices.filter { counts[$0] > 0 }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
            .prefix(WeeklyReport.hourLines)
            .map { .init(label: ($0 < 10 ? "0" : "") + "\($0):00", count: counts[$0], previousCount: previous[$0]) }
    }

    /// Active users this week and the week before; of this week's, those with a row before the week
    /// (returning) and without (new). In one statement, so that the figures agree.
    func weeklyUsers(_ week: ISOWeek) async throws -> WeeklyReport.Users {
        let rows = try await connection.execute("""
            WITH this_week AS (
                SELECT DISTINCT user_id FROM activity
                WHERE occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz AND user_id IS NOT NULL
            )
            SELECT (SELECT count(*) FROM this_week),
                   (SELECT count(DISTINCT user_id) FROM activity WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz),
                   (SELECT count(*) FROM this_week w
                    WHERE EXISTS (SELECT 1 FROM activity a WHERE a.user_id = w.user_id AND a.occurred_at < $2::timestamptz))
            """, parameters: [SQLTime.text(week.previous.start), SQLTime.text(week.start), SQLTime.text(week.end)],
            operation: "weekly report: users")
        guard let row = rows.first, row.count == 3 else { throw StorageError.unexpectedAnswer("weekly report: users", "no row of 3 columns") }
        let active = try RowCount.parse(row[0], "weekly report: users")
        let returning = min(active, try RowCount.parse(row[2], "weekly report: users"))
        return WeeklyReport.Users(active: active, previousActive: try RowCount.parse(row[1], "weekly report: users"),
                                  new: active - returning, returning: returning)
    }

    /// `system_metrics` over [from, to), or nil when no minute was recorded.
    func systemFigures(from: Date, to: Date) async throws -> WeeklyReport.System? {
        let operation = "weekly report: system metrics"
        let rows = try await connection.execute("""
            SELECT count(*),
                   sum(requests_1xx + requests_2xx + requests_3xx + requests_4xx + requests_5xx), sum(requests_5xx),
                   sum(upstream_errors), sum(upstream_timeouts),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_p50_ms),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_p95_ms),
                   max(latency_p99_ms),
                   sum(rows_dropped), sum(rows_dead_lettered)
            FROM system_metrics WHERE minute >= $1::timestamptz AND minute < $2::timestamptz
            """, parameters: [SQLTime.text(from), SQLTime.text(to)], operation: operation)
        guard let row = rows.first, row.count == 10 else { throw StorageError.unexpectedAnswer(operation, "no row of 10 columns") }
        let minutes = try RowCount.parse(row[0], operation)
        guard minutes > 0 else { return nil }
        func count(_ index: Int) throws(StorageError) -> Int { try RowCount.parse(row[index], operation) }
        func milliseconds(_ index: Int) throws(StorageError) -> Double? {
            guard let text = row[index] else { return nil }
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw .unexpectedAnswer(operation, "\(InputQuote.quote(text)) is not a latency in milliseconds")
            }
            return value
        }
        return WeeklyReport.System(
            minutes: minutes, requests: try count(1), serverErrors: try count(2), upstreamErrors: try count(3), upstreamTimeouts: try count(4),
            latencyP50: try milliseconds(5), latencyP95: try milliseconds(6), latencyP99Max: try milliseconds(7),
            rowsDropped: try count(8), rowsDeadLettered: try count(9))
    }
}
