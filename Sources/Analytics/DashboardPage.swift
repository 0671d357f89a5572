import Foundation
import Hummingbird

/// The dashboard's HTML: a filter form, the chart, the top types and users, the recent rows.
struct DashboardPage {
    struct Data: Sendable {
        var timeline: ActivitySummary
        var types: ActivitySummary
        var users: ActivitySummary
        var recent: ActivityPage
        /// The scheduled jobs (admin and manager tokens only).
        var jobs: [JobStatus]? = nil
        /// The sidecars' traffic per hour over the period (admin tokens only).
        var traffic: [TrafficHour]? = nil
    }

    var data: Data
    var access: AnalyticsAccess
    var parameters: QueryParameters
    var request: Request
    var now: Date

    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#f6f7f9}
        header{background:#1f2d3d;color:#fff;padding:12px 24px}header h1{margin:0;font-size:18px}
        main{padding:16px 24px;max-width:1280px}section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:12px 16px;margin-bottom:16px}
        h2{font-size:15px;margin:0 0 8px}form{display:flex;flex-wrap:wrap;gap:8px;align-items:end}
        label{display:flex;flex-direction:column;font-size:12px;color:#555}input{font:inherit;padding:4px 6px;width:150px}
        button{font:inherit;padding:5px 14px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
        th{font-size:12px;color:#555}td.n{text-align:right;font-variant-numeric:tabular-nums}.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
        .share{background:#3b6fb6;height:8px;border-radius:2px}.muted{color:#777}.pager a{margin-right:12px}
        td.desc{max-width:420px;overflow-wrap:anywhere}
        """

    func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>Activity dashboard</title><style>\(Self.style)</style></head>
        <body><header><h1>Activity dashboard</h1></header><main>
        \(filterForm())
        <section id="timeline"><h2>Activity over time</h2>
        <p class="muted">\(HTMLText.escape(periodLine()))</p>
        \(DashboardChart(summary: data.timeline).svg())
        </section>
        \(data.traffic.map { DashboardTrafficChart(hours: $0).section() } ?? "")
        <div class="grid">
        \(shareTable(id: "top-types", title: "Top activity types", column: "Type", summary: data.types))
        \(shareTable(id: "top-users", title: "Top users", column: "User", summary: data.users))
        </div>
        \(recentTable())
        \(jobsTable())
        </main></body></html>
        """
    }

    static func message(_ title: String, _ text: String) -> String {
        """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(HTMLText.escape(title))</title><style>\(style)</style></head>
        <body><header><h1>Activity dashboard</h1></header><main><section><h2>\(HTMLText.escape(title))</h2><p>\(HTMLText.escape(text))</p>
        <p><a href="/dashboard">Back to the default view</a></p></section></main></body></html>
        """
    }

    private func periodLine() -> String {
        let style = Date.ISO8601FormatStyle()
        let change = data.timeline.changePercentage.map { String(format: "%+.2f%%", $0) } ?? "n/a"
        return "\(data.timeline.from.formatted(style)) to \(data.timeline.to.formatted(style)): \(data.timeline.total) rows; previous period \(data.timeline.previousTotal) rows (change \(change))"
    }

    private func filterForm() -> String {
        func field(_ name: String, _ label: String, _ placeholder: String, disabled: Bool = false) -> String {
            let value = disabled ? (access.userID ?? "") : parameters.list(name, limit: ActivityFilter.maxActivityTypes).joined(separator: ",")
            return #"<label>\#(label)<input name="\#(name)" value="\#(HTMLText.escape(value))" placeholder="\#(placeholder)"\#(disabled ? " disabled" : "")></label>"#
        }
        return """
            <section id="filters"><h2>Filters</h2><form method="get" action="/dashboard">
            \(field("from", "From", "7d, 2026-11-01"))\(field("to", "To", "now"))\(field("user", "User", "any", disabled: !access.readsEverything))
            \(field("type", "Types (comma)", "any"))\(field("ip", "IP or network", "any"))
            <button type="submit">Apply</button> <a href="/dashboard">Reset</a></form></section>
            """
    }

    private func shareTable(id: String, title: String, column: String, summary: ActivitySummary) -> String {
        let rows = summary.groups.filter { $0.count > 0 }.map { group in
            """
            <tr><td>\(HTMLText.escape(group.label))</td><td class="n">\(group.count)</td><td class="n">\(String(format: "%.2f", group.percentage))%</td>\
            <td style="width:30%"><div class="share" style="width:\(String(format: "%.1f", group.percentage))%"></div></td>\
            <td class="n muted">\(group.previousCount)</td></tr>
            """
        }.joined(separator: "\n")
        return """
            <section id="\(id)"><h2>\(title)</h2><table><thead><tr><th>\(column)</th><th>Count</th><th>Share</th><th></th><th>Previous</th></tr></thead>
            <tbody>\(rows.isEmpty ? #"<tr><td colspan="5" class="muted">No activity in this period.</td></tr>"# : rows)</tbody></table></section>
            """
    }

    private func recentTable() -> String {
        let page = data.recent
        let rows = page.rows.map { row in
            let time = String(row.occurredAt.prefix(19)).replacingOccurrences(of: "T", with: " ")
            return """
                <tr><td>\(time)</td><td>\(HTMLText.escape(row.userID ?? "–"))</td><td>\(HTMLText.escape(row.activityType))</td>\
                <td class="desc">\(HTMLText.escape(row.description))</td><td>\(HTMLText.escape(row.ipAddress ?? "–"))</td>\
                <td class="n">\(row.status.map(String.init) ?? "–")</td><td class="desc muted">\(HTMLText.escape(row.path ?? ""))</td></tr>
                """
        }.joined(separator: "\n")
        var pager: [String] = []
        if let previous = page.previousOffset {
            pager.append(#"<a id="previous-page" href="/dashboard?\#(HTMLText.escape(QueryString.replacing(request, ["offset": previous == 0 ? nil : String(previous)])))">← newer</a>"#)
        }
        if let next = page.nextOffset {
            pager.append(#"<a id="next-page" href="/dashboard?\#(HTMLText.escape(QueryString.replacing(request, ["offset": String(next)])))">older →</a>"#)
        }
        let shown = page.shownRange.map { "\($0.lowerBound)–\($0.upperBound)" } ?? "none"
        return """
            <section id="recent"><h2>Recent activity</h2><p class="muted">Rows \(shown) of \(page.total), newest first.</p>
            <table id="recent-activity"><thead><tr><th>Time (UTC)</th><th>User</th><th>Type</th><th>Description</th><th>IP</th><th>Status</th><th>Path</th></tr></thead>
            <tbody>\(rows.isEmpty ? #"<tr><td colspan="7" class="muted">No rows match these filters.</td></tr>"# : rows)</tbody></table>
            <p class="pager">\(pager.joined(separator: " "))</p></section>
            """
    }

    /// The scheduled jobs: schedule, last run and its outcome, last success, next run.
    private func jobsTable() -> String {
        guard let jobs = data.jobs else { return "" }
        func time(_ date: Date?) -> String {
            date.map { String($0.formatted(JobStatus.time).prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? "–"
        }
        let rows = jobs.map { status in
            let last = status.history?.lastRun
            let next = status.offReason.map { "off: \($0)" } ?? time(status.nextRun)
            return "<tr><td>\(HTMLText.escape(status.job.rawValue))</td><td>\(HTMLText.escape("\(status.schedule) \(status.timeZone)"))</td>"
                + "<td>\(time(last?.startedAt))</td><td>\(HTMLText.escape(last?.outcome.rawValue ?? "–"))</td>"
                + "<td>\(time(status.history?.lastSuccess))</td><td>\(HTMLText.escape(next))</td></tr>"
        }.joined(separator: "\n")
        return """
            <section id="jobs"><h2>Scheduled jobs</h2>
            <table id="job-runs"><thead><tr><th>Job</th><th>Schedule</th><th>Last run (UTC)</th><th>Outcome</th><th>Last success</th><th>Next run (UTC)</th></tr></thead>
            <tbody>\(rows)</tbody></table></section>
            """
    }
}
