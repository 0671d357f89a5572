import JSONWriting
import Foundation
import Hummingbird

extension AnalyticsAPI {
    /// `GET /api/v1/analytics/activity-summary/?date_from=&date_to=&group_by=activity_type|user|day|hour`
    ///
    /// Groups with `count` and `percentage` (of `total`, summing to 100), the previous period of
    /// equal length, and the totals. `user` tokens summarise only their own rows.
    func activitySummary(_ request: Request) async throws(AnalyticsProblem) -> Response {
        let access = try authenticate(request)
        let parameters = QueryParameters(request)
        let now = now()
        let summaryQuery = try SummaryQuery(parameters, access: access, now: now)
        let summary = try await query(field: "date_from") {
            try await $0.summary(summaryQuery.filter, groupBy: summaryQuery.grouping, top: summaryQuery.top, now: now)
        }
        return AnalyticsResponse.json(Self.summaryJSON(summary))
    }

    /// The name of the key field of a group in the API's results.
    static func keyName(_ grouping: SummaryGrouping) -> String {
        switch grouping {
        case .type: "activity_type"
        case .user: "user"
        case .day: "date"
        case .hour: "hour"
        }
    }

    static func summaryJSON(_ summary: ActivitySummary) -> String {
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var previous = JSONText.Object()
        previous.add("date_from", string: summary.previousFrom.formatted(time))
        previous.add("date_to", string: summary.from.formatted(time))
        previous.add("total", raw: String(summary.previousTotal))
        var object = JSONText.Object()
        object.add("group_by", string: keyName(summary.grouping))
        object.add("date_from", string: summary.from.formatted(time))
        object.add("date_to", string: summary.to.formatted(time))
        object.add("total", raw: String(summary.total))
        object.add("previous_period", raw: previous.text)
        object.add("change_percentage", raw: summary.changePercentage.map(JSONText.number))
        object.add("results", raw: JSONText.array(summary.groups.map { group in
            var item = JSONText.Object()
            switch group.key {
            case .value(let value): item.add(keyName(summary.grouping), string: value)
            case .missing: item.add(keyName(summary.grouping), string: nil)
            case .others(let count):
                item.add(keyName(summary.grouping), string: group.label)
                item.add("others", raw: String(count))
            }
            item.add("count", raw: String(group.count))
            item.add("percentage", raw: JSONText.number(group.percentage))
            item.add("previous_count", raw: String(group.previousCount))
            item.add("previous_percentage", raw: JSONText.number(group.previousPercentage))
            return item.text
        }))
        return object.text
    }
}
