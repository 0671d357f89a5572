import Foundation

/// The arguments of `GET /api/v1/analytics/user-activity/`, parsed and bounded before any query
/// runs: a filter (confined to the caller's user for `user` tokens) and a page.
public struct UserActivityQuery: Sendable {
    /// Which rows.
    public var filter: ActivityFilter
    /// Which page of them (`PageRequest`'s bounds hold).
    public var page: PageRequest

    /// - Throws: `AnalyticsProblem` 400 naming the parameter and its allowed values, or 403.
    public init(_ parameters: QueryParameters, access: AnalyticsAccess, now: Date) throws(AnalyticsProblem) {
        filter = try parameters.filter(access: access, now: now)
        page = try parameters.page()
    }
}
