import Foundation
import PostgreSQL

extension ActivityStore {
    /// Computes `activity_daily` (rows per UTC day, type and user) and `activity_active_users`
    /// (distinct users per day, ISO week and month) for the `days` whole UTC days before `now`'s day.
    ///
    /// Each day is replaced in one REPEATABLE READ transaction, so its rows and its total in
    /// `activity_daily_days` come from one snapshot, the same one `activity_hourly` had: the
    /// summary's check (that total against `activity_hourly`) then holds until a row of that day
    /// is added or removed.
    public func computeDailyRollup(days: Int, now: Date, dryRun: Bool) async throws -> JobReport {
        let today = Self.utcDay(now)
        let computed = (1...max(1, days)).map { today - $0 }.sorted()
        if dryRun {
            let first = Self.dayText(computed.first ?? today), last = Self.dayText(computed.last ?? today)
            return JobReport(summary: "would compute activity_daily and activity_active_users for \(computed.count) days, \(first) to \(last)",
                             figures: [.init("days", computed.count)])
        }
        var periods: [(kind: String, start: Int, end: Int)] = []
        for day in computed {
            periods.append(("day", day, day + 1))
            // ISO week: Monday is day 4 of the epoch week (1970-01-01 was a Thursday).
            let monday = day - (day + 3).modulo(7)
            periods.append(("week", monday, min(monday + 7, today)))
            let month = Self.monthBounds(of: day)
            periods.append(("month", month.start, min(month.end, today)))
        }
        var seen = Set<String>()
        periods = periods.filter { seen.insert("\($0.kind)\($0.start)").inserted }
        let dayTexts = computed.map(Self.dayText)
        let periodTexts = periods.map { ($0.kind, Self.dayText($0.start), Self.dayText($0.end)) }
        let (rows, groups) = try await connection.run { session -> (Int, Int) in
            var rows = 0, groups = 0
            for day in dayTexts {
                try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ", operation: "daily-rollup: begin")
                do {
                    try session.execute("DELETE FROM activity_daily WHERE day = $1::date", parameters: [day], operation: "daily-rollup: clear \(day)")
                    let inserted = try session.execute("""
                        WITH inserted AS (
                            INSERT INTO activity_daily (day, activity_type, user_id, rows)
                            SELECT $1::date, activity_type, user_id, count(*) FROM activity
                            WHERE occurred_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'
                              AND occurred_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'
                            GROUP BY 2, 3
                            RETURNING rows
                        ), total AS (
                            INSERT INTO activity_daily_days (day, rows, computed_at)
                            SELECT $1::date, coalesce(sum(rows), 0), now() FROM inserted
                            ON CONFLICT (day) DO UPDATE SET rows = excluded.rows, computed_at = excluded.computed_at
                            RETURNING rows
                        )
                        SELECT (SELECT rows FROM total), (SELECT count(*) FROM inserted)
                        """, parameters: [day], operation: "daily-rollup: \(day)")
                    try session.execute("COMMIT", operation: "daily-rollup: commit")
                    rows = RowCount.sum([rows, try RowCount.parse(inserted.first?[0] ?? nil, "daily-rollup: \(day)")])
                    groups = RowCount.sum([groups, try RowCount.parse(inserted.first?[1] ?? nil, "daily-rollup: \(day)")])
                } catch {
                    if session.isHealthy { _ = try? session.execute("ROLLBACK", operation: "daily-rollup: roll back") }
                    throw error
                }
            }
            for (kind, start, end) in periodTexts {
                try session.execute("""
                    INSERT INTO activity_active_users (period, period_start, users, computed_at)
                    SELECT $1, $2::date, count(DISTINCT user_id), now() FROM activity
                    WHERE occurred_at >= ($2::date)::timestamp AT TIME ZONE 'UTC' AND occurred_at < ($3::date)::timestamp AT TIME ZONE 'UTC'
                    ON CONFLICT (period, period_start) DO UPDATE SET users = excluded.users, computed_at = excluded.computed_at
                    """, parameters: [kind, start, end], operation: "daily-rollup: active users \(kind) \(start)")
            }
            return (rows, groups)
        }
        return JobReport(
            summary: "computed \(dayTexts.count) days (\(dayTexts.first ?? "") to \(dayTexts.last ?? "")): \(rows) rows in \(groups) day, type and user groups; active users for \(periodTexts.count) days, weeks and months",
            figures: [.init("days", dayTexts.count), .init("rows", rows), .init("groups", groups), .init("active_user_periods", periodTexts.count)])
    }

    /// Days since 1970-01-01 of `date`, UTC.
    static func utcDay(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    /// `YYYY-MM-DD` of a day number.
    static func dayText(_ day: Int) -> String {
        let month = MonthPartition(containing: Date(timeIntervalSince1970: Double(day) * 86_400))
        let first = monthBounds(of: day).start
        let dayOfMonth = day - first + 1
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(month.year)-\(two(month.month))-\(two(dayOfMonth))"
    }

    /// The first day of `day`'s month and of the next month, as day numbers.
    static func monthBounds(of day: Int) -> (start: Int, end: Int) {
        let month = MonthPartition(containing: Date(timeIntervalSince1970: Double(day) * 86_400))
        return (daysFromCivil(month.year, month.month), daysFromCivil(month.next.year, month.next.month))
    }

    /// Days since 1970-01-01 of the first of `month` (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(_ year: Int, _ month: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
