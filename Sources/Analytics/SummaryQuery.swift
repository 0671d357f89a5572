import Foundation

/// The arguments of `GET /api/v1/analytics/activity-summary/`, parsed and bounded before any
/// query runs: the filter, the grouping, `top` and the period (checked by `SummaryPeriod`).
public struct SummaryQuery: Sendable {
    /// Which rows.
    public var filter: ActivityFilter
    /// How they are grouped (`group_by`, default `activity_type`).
    public var grouping: SummaryGrouping
    /// The groups kept before the rest are folded (`top`, in `ActivitySummary.tops`), or all.
    public var top: Int?
    /// The period summarised; its invariants hold.
    public var period: SummaryPeriod

    /// - Throws: `AnalyticsProblem` 400 naming the parameter and its allowed values, or 403.
    public init(_ parameters: QueryParameters, access: AnalyticsAccess, now: Date) throws(AnalyticsProblem) {
        filter = try parameters.filter(access: access, now: now)
        do {
            grouping = try SummaryGrouping(parsing: parameters.string("group_by") ?? "activity_type")
        } catch {
            throw .badParameter("group_by", error.message)
        }
        top = try parameters.integer("top", in: ActivitySummary.tops)
        do {
            period = try SummaryPeriod(filter: filter, grouping: grouping, now: now)
        } catch {
            throw .badParameter("date_from", error.message)
        }
    }
}
