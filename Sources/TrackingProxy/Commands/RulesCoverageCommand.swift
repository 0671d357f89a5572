import ActivityRules
import Analytics
import ArgumentParser
import Foundation

/// `rules coverage RULES_FILE`: which rules of a file fired in a period, which exceptions
/// excluded requests, which rules never fired, and which rule ids in the data the file lacks.
struct RulesCoverageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Show how often each rule fired and each exception excluded requests in a period.",
        discussion: """
            Rules: activities per rule_id in the activity table. Exceptions: requests excluded, as the \
            sidecars counted them in system_metrics_exceptions (kept as long as system metrics). Before \
            deleting a rule, check it never fired over a period longer than its use (e.g. --since 90d).
            """
    )

    /// Formats of this report.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text, json
    }

    @Argument(help: "The rules file whose rules and exceptions are reported.")
    var rulesFile: String

    @Option(name: .long, help: "Start of the period: \(TimeBound.allowed). Default 30d.")
    var since: String = "30d"

    @Option(name: .long, help: "Output: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .text

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        _ = try start(now: Date())
    }

    /// `--since` as a moment, not after `now`.
    func start(now: Date) throws -> Date {
        let bound = try field("--since") { try TimeBound(parsing: since) }
        let start = bound.resolve(now: now, as: .lower)
        guard start < now else {
            throw ValidationError("--since: \(since) is not in the past; give a past date or an age such as 30d.")
        }
        return start
    }

    func run() async throws {
        let rules: RuleSet
        do {
            rules = try RuleSet.load(path: rulesFile)
        } catch {
            throw ValidationError(error.rendered)
        }
        let now = Date()
        let since = try start(now: now)
        let figures = try await withConnection(database) { try await $0.ruleCoverageFigures(since: since, until: now) }
        let ruleIDs = rules.rules.map(\.id) + (rules.catchAll.map { [$0.id] } ?? [])
        let coverage = RuleCoverage(ruleIDs: ruleIDs, exceptionIDs: rules.exceptions.map(\.id), figures: figures)
        switch format {
        case .json: StandardOutput.write(coverage.json + "\n")
        case .text: StandardOutput.write(Self.text(coverage, file: rulesFile))
        }
    }

    static func text(_ coverage: RuleCoverage, file: String) -> String {
        let time = { (date: Date) in date.formatted(Date.ISO8601FormatStyle()) }
        var out = "rules coverage of \(file) from \(time(coverage.since)) to \(time(coverage.until))\n\n"
        var rules = TextTable(columns: [
            .init(title: "RULE", flexible: true, minimumWidth: 12), .init(title: "ACTIVITIES", alignRight: true), .init(title: "LAST FIRED (UTC)"),
        ])
        rules.rows = coverage.rules.map { [$0.ruleID, String($0.activities), $0.lastFired.map(time) ?? "never"] }
        out += rules.render()
        if !coverage.exceptions.isEmpty {
            var exceptions = TextTable(columns: [.init(title: "EXCEPTION", flexible: true, minimumWidth: 12), .init(title: "REQUESTS EXCLUDED", alignRight: true)])
            exceptions.rows = coverage.exceptions.map { [$0.exceptionID, String($0.requestsExcluded)] }
            out += "\n" + exceptions.render()
        }
        let never = coverage.neverFired
        out += "\n" + (never.isEmpty ? "every rule fired in the period\n" : "never fired (\(never.count)): \(never.joined(separator: ", "))\n")
        if !coverage.unknownRules.isEmpty {
            out += "rule ids in the data but not in the file: "
                + coverage.unknownRules.map { "\($0.ruleID) (\($0.activities))" }.joined(separator: ", ") + "\n"
        }
        return out
    }
}
