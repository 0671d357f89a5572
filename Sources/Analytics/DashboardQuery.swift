import Foundation

/// The arguments of `GET /dashboard`, parsed and bounded before any query runs: the filter
/// (by default the 7 days before `to`), the page of recent rows, and the timeline's grouping
/// (hours up to two days, days beyond).
public struct DashboardQuery: Sendable {
    /// Which rows; `from` is always set (`to` open means up to the newest row).
    public var filter: ActivityFilter
    /// The page of recent rows (default 50 rows).
    public var page: PageRequest
    /// The timeline's buckets.
    public var timeline: SummaryGrouping

    /// The dashboard's page size when the URL gives none.
    public static let defaultLimit = 50

    /// - Throws: `AnalyticsProblem` 400 naming the parameter and its allowed values, or 403.
    public init(_ parameters: QueryParameters, access: AnalyticsAccess, now: Date) throws(AnalyticsProblem) {
        var filter = try parameters.filter(access: access, now: now, names: .dashboard)
        let to = filter.to ?? now
        let from = filter.from ?? to.addingTimeInterval(-7 * 86_400)
        do {
            filter = try ActivityFilter(userID: filter.userID, from: from, to: filter.to, activityTypes: filter.activityTypes, ipAddress: filter.ipAddress)
        } catch {
            throw .badParameter(parameters.string("to") == nil ? "from" : "to", error.message)
        }
        self.filter = filter
        page = try parameters.page(defaultLimit: Self.defaultLimit)
        timeline = to.timeIntervalSince(from) <= 2 * 86_400 ? .hour : .day
        do {
            _ = try SummaryPeriod(filter: filter, grouping: timeline, now: now)
        } catch {
            throw .badParameter("from", error.message)
        }
    }
}
