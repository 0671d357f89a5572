import Foundation

/// The dashboard's "proxy traffic" chart (admin tokens only): requests per hour as bars, the
/// failed part (5xx, upstream errors and timeouts) in red over them, each bar's `<title>` giving
/// the hour's requests, error rate and p95 latency. Inline SVG, no script, like `DashboardChart`.
struct DashboardTrafficChart {
    var hours: [TrafficHour]
    var width = 960
    var height = 200

    /// The section, with a summary line over the period.
    func section() -> String {
        let requests = hours.reduce(Int64(0)) { $0 &+ $1.requests }
        let failures = hours.reduce(Int64(0)) { $0 &+ $1.failures }
        let rate = requests > 0 ? String(format: "%.2f%%", min(1, Double(failures) / Double(requests)) * 100) : "n/a"
        let p95 = hours.compactMap(\.latencyP95Ms).max().map { String(format: "%.1f ms", $0) } ?? "n/a"
        let summary = "\(requests) requests, error rate \(rate), worst hourly p95 latency \(p95) (from system_metrics)"
        return """
            <section id="traffic"><h2>Proxy traffic per hour</h2>
            <p class="muted">\(HTMLText.escape(summary))</p>
            \(hours.isEmpty ? #"<p class="muted">No system metrics in this period.</p>"# : svg())
            </section>
            """
    }

    func svg() -> String {
        let left = 56, right = 12, top = 12, bottom = 28
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let peak = max(1, hours.map(\.requests).max() ?? 1)
        let slot = Double(plotWidth) / Double(max(hours.count, 1))
        func y(_ value: Int64) -> Double { Double(top) + Double(plotHeight) * (1 - Double(value) / Double(peak)) }
        let time = Date.ISO8601FormatStyle()
        var parts: [String] = []
        parts.append(##"<svg id="traffic-chart" xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)" role="img" aria-labelledby="traffic-title">"##)
        parts.append(##"<title id="traffic-title">Requests per hour, failed part in red</title>"##)
        parts += DashboardChart.grid(peak: peak, left: left, right: width - right, y: y)
        for (index, hour) in hours.enumerated() {
            let x = DashboardChart.format(Double(left) + slot * Double(index) + slot * 0.1)
            let barWidth = DashboardChart.format(max(1, slot * 0.8))
            let rate = hour.errorRate.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"
            let p95 = hour.latencyP95Ms.map { String(format: "%.1f ms", $0) } ?? "n/a"
            let label = "\(hour.hour.formatted(time)): \(hour.requests) requests, error rate \(rate), p95 \(p95)"
            let barY = y(hour.requests)
            parts.append(##"<rect class="traffic-bar" x="\##(x)" y="\##(DashboardChart.format(barY))" width="\##(barWidth)" height="\##(DashboardChart.format(Double(top + plotHeight) - barY))" fill="#3b6fb6"><title>\##(HTMLText.escape(label))</title></rect>"##)
            if hour.failures > 0 {
                let failedY = y(min(hour.failures, hour.requests))
                parts.append(##"<rect class="failed-bar" x="\##(x)" y="\##(DashboardChart.format(failedY))" width="\##(barWidth)" height="\##(DashboardChart.format(Double(top + plotHeight) - failedY))" fill="#c62828"><title>\##(HTMLText.escape(label))</title></rect>"##)
            }
        }
        let step = max(1, hours.count / 8)
        for index in stride(from: 0, to: hours.count, by: step) {
            let x = Double(left) + slot * (Double(index) + 0.5)
            let label = String(hours[index].hour.formatted(time).dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " ")
            parts.append(##"<text x="\##(DashboardChart.format(x))" y="\##(height - bottom + 16)" text-anchor="middle" font-size="11" fill="#555">\##(HTMLText.escape(label))</text>"##)
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
