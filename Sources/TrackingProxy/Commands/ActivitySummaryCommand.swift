import JSONWriting
import ArgumentParser
import Foundation
import Ingest
import Analytics
import ActivityRules

/// `trackingproxy activity summary`: counts and shares per group, against the previous period.
struct ActivitySummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Count rows per group with each group's share, and the same for the previous period of equal length.",
        discussion: "Without --from, the period is the 7 days before --to (default: now)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var filters: ActivityFilterOptions

    @Option(name: .customLong("group-by"), help: "One of \(SummaryGrouping.allowedNames).")
    var groupBy: String = SummaryGrouping.type.rawValue

    @Option(name: .long, help: "For type and user: show the largest N groups (\(ActivitySummary.tops.lowerBound) to \(ActivitySummary.tops.upperBound)) and fold the rest into one line.")
    var top: Int?

    @Option(name: .long, help: "Output: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: OutputFormat = .table

    func validate() throws {
        let grouping = try field("--group-by") { try SummaryGrouping(parsing: groupBy) }
        if let top { try field("--top") { try ActivitySummary.checkTop(top) } }
        let now = Date()
        let filter = try filters.filter(now: now)
        _ = try field("--from/--to") { try SummaryPeriod(filter: filter, grouping: grouping, now: now) }
    }

    func run() async throws {
        let now = Date()
        let filter = try filters.filter(now: now)
        let grouping = try field("--group-by") { try SummaryGrouping(parsing: groupBy) }
        let summary = try await withConnection(database) { try await $0.summary(filter, groupBy: grouping, top: top, now: now) }
        switch format {
        case .json: StandardOutput.write(Self.json(summary) + "\n")
        case .csv: StandardOutput.write(Self.csv(summary))
        case .table: StandardOutput.write(Self.table(summary))
        }
    }

    static func json(_ summary: ActivitySummary) -> String {
        var object = JSONText.Object()
        object.add("group_by", string: summary.grouping.rawValue)
        object.add("from", string: iso(summary.from))
        object.add("to", string: iso(summary.to))
        object.add("total", raw: String(summary.total))
        object.add("previous_from", string: iso(summary.previousFrom))
        object.add("previous_total", raw: String(summary.previousTotal))
        object.add("change_percentage", raw: summary.changePercentage.map(JSONText.number))
        object.add("groups", raw: JSONText.array(summary.groups.map { group in
            var item = JSONText.Object()
            item.add("key", string: { if case .value(let value) = group.key { return value } else { return nil } }())
            item.add("label", string: group.label)
            item.add("count", raw: String(group.count))
            item.add("percentage", raw: JSONText.number(group.percentage))
            item.add("previous_count", raw: String(group.previousCount))
            item.add("previous_percentage", raw: JSONText.number(group.previousPercentage))
            return item.text
        }))
        return object.text
    }

    static func csv(_ summary: ActivitySummary) -> String {
        CSVText.line(["group", "count", "percentage", "previous_count", "previous_percentage"])
            + summary.groups.map { group in
                CSVText.line([group.label, String(group.count), percent(group.percentage), String(group.previousCount), percent(group.previousPercentage)])
            }.joined()
    }

    static func table(_ summary: ActivitySummary) -> String {
        var table = TextTable(columns: [
            .init(title: summary.grouping.rawValue.uppercased(), flexible: true, minimumWidth: 12),
            .init(title: "COUNT", alignRight: true), .init(title: "%", alignRight: true),
            .init(title: "PREVIOUS", alignRight: true), .init(title: "PREV %", alignRight: true),
        ])
        table.rows = summary.groups.map {
            [$0.label, String($0.count), percent($0.percentage), String($0.previousCount), percent($0.previousPercentage)]
        }
        let change = summary.changePercentage.map { ($0 >= 0 ? "+" : "") + percent($0) + "%" } ?? "n/a"
        return "period \(iso(summary.from)) to \(iso(summary.to)): \(summary.total) rows; "
            + "previous period from \(iso(summary.previousFrom)): \(summary.previousTotal) rows (change \(change))\n\n"
            + table.render()
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f", value) }

    static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle()) }
}
