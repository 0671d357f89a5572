import Foundation
import JSONWriting

extension WeeklyReport {
    /// The report as one JSON object (what the webhook receives): counts as numbers, changes in
    /// percent or null (nothing the week before), `system` null when there is no data.
    public var json: String {
        var object = JSONText.Object()
        object.add("report", string: "weekly")
        object.add("week", string: week.description)
        object.add("date_from", string: Self.time(week.start))
        object.add("date_to", string: Self.time(week.end))
        object.add("previous_date_from", string: Self.time(week.previous.start))
        object.add("generated_at", string: Self.time(generatedAt))
        object.add("total", raw: String(total))
        object.add("previous_total", raw: String(previousTotal))
        object.add("change_percentage", raw: change.map(JSONText.number))
        object.add("activity_types", raw: Self.lines(types, key: "activity_type"))
        object.add("top_users", raw: Self.lines(topUsers, key: "user_id"))
        object.add("days", raw: Self.lines(days, key: "day"))
        object.add("busiest_hours_utc", raw: Self.lines(busiestHours, key: "hour"))
        var users = JSONText.Object()
        users.add("active", raw: String(self.users.active))
        users.add("previous_active", raw: String(self.users.previousActive))
        users.add("change_percentage", raw: ActivitySummary.change(from: self.users.previousActive, to: self.users.active).map(JSONText.number))
        users.add("new", raw: String(self.users.new))
        users.add("returning", raw: String(self.users.returning))
        object.add("users", raw: users.text)
        object.add("system", raw: system.map(Self.systemJSON))
        object.add("previous_system", raw: previousSystem.map(Self.systemJSON))
        object.add("text", string: "\(title): \(total) activities (\(Self.changeText(count: total, previous: previousTotal)) against the week before), "
                   + "\(self.users.active) active users, \(self.users.new) new.")
        return object.text
    }

    static func lines(_ lines: [Line], key: String) -> String {
        JSONText.array(lines.map { line in
            var item = JSONText.Object()
            item.add(key, string: line.label)
            item.add("count", raw: String(line.count))
            item.add("previous_count", raw: String(line.previousCount))
            item.add("change_percentage", raw: line.change.map(JSONText.number))
            return item.text
        })
    }

    static func systemJSON(_ system: System) -> String {
        var object = JSONText.Object()
        object.add("minutes_recorded", raw: String(system.minutes))
        object.add("requests", raw: String(system.requests))
        object.add("server_errors", raw: String(system.serverErrors))
        object.add("error_rate_percentage", raw: system.errorRate.map(JSONText.number))
        object.add("upstream_errors", raw: String(system.upstreamErrors))
        object.add("upstream_timeouts", raw: String(system.upstreamTimeouts))
        object.add("latency_p50_ms", raw: system.latencyP50.map(JSONText.number))
        object.add("latency_p95_ms", raw: system.latencyP95.map(JSONText.number))
        object.add("latency_p99_max_ms", raw: system.latencyP99Max.map(JSONText.number))
        object.add("rows_dropped", raw: String(system.rowsDropped))
        object.add("rows_dead_lettered", raw: String(system.rowsDeadLettered))
        return object.text
    }

    static func time(_ date: Date) -> String { date.formatted(.iso8601) }
}
