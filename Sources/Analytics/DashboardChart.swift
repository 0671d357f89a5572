
/// The dashboard's "activity over time" chart, rendered on the server as inline SVG: one bar per
/// day or hour for the period, a line for the previous period, axis labels. No script.
struct DashboardChart {
    var summary: ActivitySummary
    var width = 960
    var height = 240

    func svg() -> String {
        let left = 48, right = 12, top = 12, bottom = 36
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let groups = summary.groups
        let peak = max(1, groups.map { max($0.count, $0.previousCount) }.max() ?? 1)
        let slot = Double(plotWidth) / Double(max(groups.count, 1))
        func y(_ value: Int) -> Double { Double(top) + Double(plotHeight) * (1 - Double(value) / Double(peak)) }

        var parts: [String] = []
        parts.append(##"<svg id="activity-chart" xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)" role="img" aria-labelledby="chart-title">"##)
        parts.append(##"<title id="chart-title">Activity per \##(summary.grouping.rawValue): \##(summary.total) rows, previous period \##(summary.previousTotal)</title>"##)
        parts += Self.grid(peak: Int64(peak), left: left, right: width - right) { y(Int($0)) }
        for (index, group) in groups.enumerated() {
            let x = Double(left) + slot * Double(index)
            let barWidth = max(1, slot * 0.8)
            let barY = y(group.count)
            parts.append(##"<rect class="bar" x="\##(Self.format(x + slot * 0.1))" y="\##(Self.format(barY))" width="\##(Self.format(barWidth))" height="\##(Self.format(Double(top + plotHeight) - barY))" fill="#3b6fb6"><title>\##(HTMLText.escape(group.label)): \##(group.count) (previous \##(group.previousCount))</title></rect>"##)
        }
        if groups.count > 1 {
            let points = groups.enumerated().map { index, group in
                "\(Self.format(Double(left) + slot * (Double(index) + 0.5))),\(Self.format(y(group.previousCount)))"
            }.joined(separator: " ")
            parts.append(##"<polyline points="\##(points)" fill="none" stroke="#e08a1e" stroke-width="2" stroke-dasharray="4 3"/>"##)
        }
        // About eight x-axis labels, evenly spread.
        let step = max(1, groups.count / 8)
        for index in stride(from: 0, to: groups.count, by: step) {
            let x = Double(left) + slot * (Double(index) + 0.5)
            let label = summary.grouping == .hour ? String(groups[index].label.dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " ") : String(groups[index].label.dropFirst(5))
            parts.append(##"<text x="\##(Self.format(x))" y="\##(height - bottom + 16)" text-anchor="middle" font-size="11" fill="#555">\##(HTMLText.escape(label))</text>"##)
        }
        parts.append(##"<text x="\##(left)" y="\##(height - 4)" font-size="11" fill="#3b6fb6">■ this period</text>"##)
        parts.append(##"<text x="\##(left + 110)" y="\##(height - 4)" font-size="11" fill="#e08a1e">-- previous period</text>"##)
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Horizontal grid lines with their y-axis labels at 0, half the peak and the peak, from x
    /// `left` to `right`; `y` maps a value to its height.
    static func grid(peak: Int64, left: Int, right: Int, y: (Int64) -> Double) -> [String] {
        [0, peak / 2, peak].flatMap { value in
            let lineY = format(y(value))
            return [
                ##"<line x1="\##(left)" y1="\##(lineY)" x2="\##(right)" y2="\##(lineY)" stroke="#ddd"/>"##,
                ##"<text x="\##(left - 6)" y="\##(lineY)" dy="4" text-anchor="end" font-size="11" fill="#555">\##(value)</text>"##,
            ]
        }
    }
}
