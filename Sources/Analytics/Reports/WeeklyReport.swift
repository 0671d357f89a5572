import Foundation

/// The weekly stakeholder report: one ISO week of activity against the week before, as a manager
/// reads it in a minute. A value: built by `ActivityStore.weeklyReport(week:now:)`, written as
/// Markdown, HTML or JSON by its extensions.
///
/// Totals, types, users, days and hours come from the summary queries (`ActivityStore.summary`)
/// over exactly [week.start, week.end), so they equal what `GET /api/v1/analytics/activity-summary/`
/// answers for the same `date_from` and `date_to`.
public struct WeeklyReport: Sendable, Equatable {
    /// One line of a breakdown: a label with this week's and last week's counts.
    public struct Line: Sendable, Equatable {
        /// An activity type, a user id, a day (`Mon 2026-11-23`) or an hour of the day (`14:00`).
        public var label: String
        /// Rows this week.
        public var count: Int
        /// Rows the week before (for a day or an hour: the same day or hour a week earlier).
        public var previousCount: Int
        /// Change in percent; nil when the previous count is 0 (new).
        public var change: Double? { ActivitySummary.change(from: previousCount, to: count) }

        public init(label: String, count: Int, previousCount: Int) {
            self.label = label
            self.count = count
            self.previousCount = previousCount
        }
    }

    /// Users with activity, this week and last week. Invariant: `active == new + returning`.
    public struct Users: Sendable, Equatable {
        /// Distinct users with at least one row this week (rows without a user are not counted).
        public var active: Int
        /// The same for the week before.
        public var previousActive: Int
        /// Active users whose first row ever is in this week.
        public var new: Int
        /// Active users who also had a row before this week.
        public var returning: Int

        public init(active: Int, previousActive: Int, new: Int, returning: Int) {
            (self.active, self.previousActive, self.new, self.returning) = (active, previousActive, new, returning)
        }
    }

    /// What the sidecars recorded in `system_metrics` over one week; nil in the report when no
    /// minute was recorded ("no data").
    public struct System: Sendable, Equatable {
        /// Minutes × instances recorded.
        public var minutes: Int
        /// Requests answered, all status classes.
        public var requests: Int
        /// Requests answered 5xx.
        public var serverErrors: Int
        /// Upstream connection errors.
        public var upstreamErrors: Int
        /// Upstream timeouts.
        public var upstreamTimeouts: Int
        /// The median over recorded minutes of each minute's p50 latency, in ms; nil when no
        /// minute had a latency (likewise below).
        public var latencyP50: Double?
        /// The median over recorded minutes of each minute's p95 latency, in ms.
        public var latencyP95: Double?
        /// The worst minute's p99 latency, in ms.
        public var latencyP99Max: Double?
        /// Activity rows the sidecars dropped (queue full).
        public var rowsDropped: Int
        /// Activity rows PostgreSQL refused, set aside in the dead letter table.
        public var rowsDeadLettered: Int

        /// 5xx answers per request, in percent rounded to hundredths; nil without requests.
        public var errorRate: Double? {
            guard requests > 0 else { return nil }
            return ((Double(serverErrors) / Double(requests)) * 10_000).rounded() / 100
        }

        public init(minutes: Int, requests: Int, serverErrors: Int, upstreamErrors: Int, upstreamTimeouts: Int,
                    latencyP50: Double?, latencyP95: Double?, latencyP99Max: Double?, rowsDropped: Int, rowsDeadLettered: Int) {
            (self.minutes, self.requests, self.serverErrors) = (minutes, requests, serverErrors)
            (self.upstreamErrors, self.upstreamTimeouts) = (upstreamErrors, upstreamTimeouts)
            (self.latencyP50, self.latencyP95, self.latencyP99Max) = (latencyP50, latencyP95, latencyP99Max)
            (self.rowsDropped, self.rowsDeadLettered) = (rowsDropped, rowsDeadLettered)
        }
    }

    /// The week reported.
    public var week: ISOWeek
    /// When the report was made.
    public var generatedAt: Date
    /// Rows this week.
    public var total: Int
    /// Rows the week before.
    public var previousTotal: Int
    /// By activity type, largest first: the `typeLines` largest, the rest folded into one line.
    public var types: [Line]
    /// The `userLines` most active users (rows without a user left out), most active first.
    public var topUsers: [Line]
    /// The seven days, Monday first; the previous count is the same weekday a week earlier.
    public var days: [Line]
    /// The `hourLines` busiest hours of the day (UTC) over the week, busiest first.
    public var busiestHours: [Line]
    /// Active, new and returning users.
    public var users: Users
    /// This week's system figures; nil: no data.
    public var system: System?
    /// The week before's system figures; nil: no data.
    public var previousSystem: System?

    /// Activity types shown before the rest are folded into one line: a page read in a minute.
    public static let typeLines = 10
    /// Users shown.
    public static let userLines = 5
    /// Hours of the day shown.
    public static let hourLines = 3

    /// Change of the total in percent; nil when the week before had no rows.
    public var change: Double? { ActivitySummary.change(from: previousTotal, to: total) }

    /// The busiest day (the earliest of equals), or nil when the week had no rows.
    public var busiestDay: Line? {
        var best: Line?
        for day in days where day.count > (best?.count ?? 0) { best = day }
        return best
    }
}
