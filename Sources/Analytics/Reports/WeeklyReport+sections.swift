import Foundation

extension WeeklyReport {
    /// One block of the page: a title, a sentence, and a table (maybe empty). Markdown and HTML
    /// render the same sections, so the two pages say the same thing.
    struct Section: Sendable, Equatable {
        var title: String
        var sentence: String
        var header: [String] = []
        var rows: [[String]] = []
    }

    /// The page, top to bottom: the headline first, details after.
    var sections: [Section] {
        let comparison = ["This week", "Week before", "Change"]
        var result = [
            Section(title: "Activity", sentence: "\(total) activities in \(week) (\(Self.day(week.start)) to \(Self.day(week.end.addingTimeInterval(-86_400)))), "
                    + "against \(previousTotal) the week before: \(Self.changeText(count: total, previous: previousTotal))."),
            Section(title: "By activity type", sentence: types.isEmpty ? "No activity in either week." : "The most frequent types.",
                    header: ["Type"] + comparison, rows: types.map(Self.row)),
            Section(title: "Top users", sentence: topUsers.isEmpty ? "No user was active." : "The \(topUsers.count) most active users.",
                    header: ["User"] + comparison, rows: topUsers.map(Self.row)),
            Section(title: "Users",
                    sentence: "\(users.active) active users (\(Self.changeText(count: users.active, previous: users.previousActive)) against \(users.previousActive)): "
                        + "\(users.new) new (first activity ever this week), \(users.returning) returning.",
                    header: ["", "This week", "Week before", "Change"],
                    rows: [["Active users", String(users.active), String(users.previousActive), Self.changeText(count: users.active, previous: users.previousActive)],
                           ["New users", String(users.new), "", ""], ["Returning users", String(users.returning), "", ""]]),
            Section(title: "Busiest days", sentence: busiestDay.map { "The busiest day was \($0.label) with \($0.count) activities." } ?? "No activity this week.",
                    header: ["Day"] + comparison, rows: days.map(Self.row)),
            Section(title: "Busiest hours (UTC)",
                    sentence: busiestHours.isEmpty ? "No activity this week." : "The hours of the day with the most activity over the week.",
                    header: ["Hour"] + comparison, rows: busiestHours.map(Self.row)),
        ]
        result.append(systemSection)
        return result
    }

    /// Error rate, latency, and rows lost, from `system_metrics`; "no data" without it.
    private var systemSection: Section {
        guard let system else {
            return Section(title: "Service health", sentence: "No data: the sidecars recorded no system metrics this week.")
        }
        func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "no data" }
        func rate(_ value: System?) -> String { value?.errorRate.map { String(format: "%.2f %%", $0) } ?? "no data" }
        return Section(
            title: "Service health",
            sentence: "\(system.requests) requests, \(rate(system)) answered with a server error (the week before: \(rate(previousSystem))); "
                + "\(system.rowsDropped) activity rows dropped and \(system.rowsDeadLettered) dead-lettered.",
            header: ["", "This week", "Week before"],
            rows: [
                ["Requests", String(system.requests), previousSystem.map { String($0.requests) } ?? "no data"],
                ["Error rate (5xx)", rate(system), rate(previousSystem)],
                ["Upstream errors / timeouts", "\(system.upstreamErrors) / \(system.upstreamTimeouts)",
                 previousSystem.map { "\($0.upstreamErrors) / \($0.upstreamTimeouts)" } ?? "no data"],
                ["Latency p50 (typical minute)", ms(system.latencyP50), ms(previousSystem?.latencyP50)],
                ["Latency p95 (typical minute)", ms(system.latencyP95), ms(previousSystem?.latencyP95)],
                ["Latency p99 (worst minute)", ms(system.latencyP99Max), ms(previousSystem?.latencyP99Max)],
                ["Rows dropped", String(system.rowsDropped), previousSystem.map { String($0.rowsDropped) } ?? "no data"],
                ["Rows dead-lettered", String(system.rowsDeadLettered), previousSystem.map { String($0.rowsDeadLettered) } ?? "no data"],
            ])
    }

    static func row(_ line: Line) -> [String] {
        [line.label, String(line.count), String(line.previousCount), changeText(count: line.count, previous: line.previousCount)]
    }

    /// `+12.50 %`, `-3.00 %`, `new` (nothing before), or `no change` for 0 against 0.
    static func changeText(count: Int, previous: Int) -> String {
        guard let change = ActivitySummary.change(from: previous, to: count) else { return count > 0 ? "new" : "no change" }
        return (change > 0 ? "+" : "") + String(format: "%.2f %%", change)
    }

    /// `2026-11-23`.
    static func day(_ date: Date) -> String { ActivityStore.dayText(ISOWeek.dayNumber(of: date)) }

    /// The page's title.
    var title: String { "Weekly activity report \(week)" }
}
