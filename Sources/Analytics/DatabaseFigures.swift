import Foundation

/// What the database says about recent activity, for the system-health view.
public struct DatabaseFigures: Hashable, Sendable {
    /// Rows since midnight UTC.
    public var rowsToday: Int
    /// Distinct users with a row since midnight UTC.
    public var activeUsersToday: Int
    /// Distinct users with a row since Monday 00:00 UTC (ISO week).
    public var activeUsersThisWeek: Int
    /// `pg_database_size` of the current database, in bytes.
    public var databaseBytes: Int64
}

extension ActivityStore {
    /// Today's and this week's figures (UTC), and the size of the database.
    public func databaseFigures(now: Date = Date()) async throws -> DatabaseFigures {
        let today = TimeBound.utcCalendar.startOfDay(for: now)
        var calendar = TimeBound.utcCalendar
        calendar.firstWeekday = 2
        let weekStart = calendar.dateInterval(of: .weekOfYear, for: now)?.start ?? today
        let rows = try await connection.execute("""
            SELECT count(*) FILTER (WHERE occurred_at >= $1::timestamptz),
                   count(DISTINCT user_id) FILTER (WHERE occurred_at >= $1::timestamptz),
                   count(DISTINCT user_id),
                   pg_database_size(current_database())
            FROM activity WHERE occurred_at >= least($1::timestamptz, $2::timestamptz)
            """, parameters: [SQLTime.text(today), SQLTime.text(weekStart)], operation: "system health")
        let row = rows.first ?? []
        func int(_ index: Int) -> Int { row.count > index ? Int(row[index] ?? "0") ?? 0 : 0 }
        return DatabaseFigures(
            rowsToday: int(0), activeUsersToday: int(1), activeUsersThisWeek: int(2),
            databaseBytes: row.count > 3 ? Int64(row[3] ?? "0") ?? 0 : 0)
    }
}
