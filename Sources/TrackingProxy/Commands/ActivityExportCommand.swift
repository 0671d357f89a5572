import ArgumentParser
import Foundation
import Ingest
import Analytics
import ActivityRules

/// `trackingproxy activity export`: every matching row, streamed, whatever the size.
struct ActivityExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every matching row to standard output, streamed (memory stays at one batch).",
        discussion: "Rows come newest first, then by id. A progress line goes to standard error every second."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var filters: ActivityFilterOptions

    @Option(name: .long, help: "Output: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ExportFormat = .csv

    @Option(name: .customLong("batch-size"), help: "Rows fetched per query (1 to 100000).")
    var batchSize: Int = 5_000

    @Flag(name: .long, help: "No progress on standard error.")
    var quiet = false

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size: \(batchSize) is not allowed: give a number from 1 to 100000.") }
        _ = try filters.filter(now: Date())
    }

    func run() async throws {
        let filter = try filters.filter(now: Date())
        let started = ContinuousClock.now
        var lastReport = started
        var exported = 0
        if format == .csv { StandardOutput.write(ActivityRow.csvHeader) }
        _ = try await withConnection(database) { store in
            try await store.export(filter, batchSize: batchSize) { rows in
                var text = ""
                for row in rows { text += format == .csv ? row.csvLine : row.jsonObject + "\n" }
                StandardOutput.write(text)
                exported += rows.count
                let now = ContinuousClock.now
                if !quiet, now - lastReport >= .seconds(1) {
                    lastReport = now
                    StandardError.write("export: \(exported) rows, \(Self.rate(exported, since: started, now: now)) rows/s")
                }
            }
        }
        if !quiet {
            let elapsed = ContinuousClock.now - started
            StandardError.write("export: done, \(exported) rows in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
        }
    }

    static func rate(_ rows: Int, since start: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Int {
        let seconds = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
        return seconds > 0 ? Int(Double(rows) / seconds) : rows
    }
}
