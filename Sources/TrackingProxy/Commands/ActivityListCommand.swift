import JSONWriting
import ArgumentParser
import Foundation
import Ingest
import Analytics
import ActivityRules

/// `trackingproxy activity list`: one page of rows, newest first.
struct ActivityListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List activity rows, newest first (then by id), one page at a time."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var filters: ActivityFilterOptions

    @Option(name: .long, help: "Rows per page, 1 to \(PageRequest.maxLimit).")
    var limit: Int = PageRequest.defaultLimit

    @Option(name: .long, help: "Rows to skip, 0 to \(PageRequest.maxOffset) (`activity export` streams every row).")
    var offset: Int = 0

    @Option(name: .long, help: "Output: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: OutputFormat = .table

    func validate() throws {
        _ = try pageRequest()
        _ = try filters.filter(now: Date())
    }

    func pageRequest() throws -> PageRequest {
        try field(PageRequest.limits.contains(limit) ? "--offset" : "--limit") { try PageRequest(limit: limit, offset: offset) }
    }

    func run() async throws {
        let filter = try filters.filter(now: Date())
        let request = try pageRequest()
        let page = try await withConnection(database) { try await $0.list(filter, page: request) }
        switch format {
        case .json:
            var object = JSONText.Object()
            object.add("count", raw: String(page.total))
            object.add("limit", raw: String(request.limit))
            object.add("offset", raw: String(request.offset))
            object.add("results", raw: JSONText.array(page.rows.map(\.jsonObject)))
            StandardOutput.write(object.text + "\n")
        case .csv:
            StandardOutput.write(ActivityRow.csvHeader + page.rows.map(\.csvLine).joined())
        case .table:
            StandardOutput.write(Self.table(page))
        }
    }

    static func table(_ page: ActivityPage) -> String {
        var table = TextTable(columns: [
            .init(title: "TIME (UTC)"), .init(title: "USER", flexible: true, minimumWidth: 8),
            .init(title: "TYPE", flexible: true, minimumWidth: 10), .init(title: "IP", flexible: true, minimumWidth: 9),
            .init(title: "STATUS", alignRight: true), .init(title: "DESCRIPTION", flexible: true, minimumWidth: 12),
        ])
        table.rows = page.rows.map { row in
            // 2026-11-20T10:00:00.123456Z -> 2026-11-20 10:00:00
            let time = String(row.occurredAt.prefix(19)).replacingOccurrences(of: "T", with: " ")
            return [time, row.userID ?? "-", row.activityType, row.ipAddress ?? "-", row.status.map(String.init) ?? "-", row.description]
        }
        var footer: String
        if let shown = page.shownRange {
            footer = "rows \(shown.lowerBound)-\(shown.upperBound) of \(page.total)"
        } else {
            footer = "no rows (\(page.total) match)"
        }
        if let next = page.nextOffset { footer += "; next page: --offset \(next)" }
        return table.render() + footer + "\n"
    }
}
