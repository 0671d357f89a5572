import Analytics
import Foundation
import Testing
@testable import TrackingProxy

/// The text form of `rules coverage`: every rule with its count and last firing, the exceptions,
/// the rules that never fired and the rule ids the file lacks.
@Suite struct RulesCoverageTextTests {
    @Test func listsRulesExceptionsNeverFiredAndUnknownIds() {
        let since = Date(timeIntervalSince1970: 1_773_576_000 - 30 * 86_400)
        let until = Date(timeIntervalSince1970: 1_773_576_000)
        let figures = RuleCoverage.Figures(
            since: since, until: until,
            fired: [
                .init(ruleID: "report-generate", activities: 12, lastFired: Date(timeIntervalSince1970: 1_773_572_400)),
                .init(ruleID: "old-rule", activities: 3, lastFired: Date(timeIntervalSince1970: 1_773_000_000)),
            ],
            excluded: [.init(exceptionID: "health-checks", requestsExcluded: 4_000)])
        let coverage = RuleCoverage(ruleIDs: ["report-generate", "report-share"], exceptionIDs: ["health-checks", "static-files"], figures: figures)
        let text = RulesCoverageCommand.text(coverage, file: "rules/app.yaml")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "rules coverage of rules/app.yaml from 2026-02-13T12:00:00Z to 2026-03-15T12:00:00Z")
        #expect(lines.contains { $0.hasPrefix("report-generate") && $0.contains("12") && $0.contains("2026-03-15T11:00:00Z") })
        #expect(lines.contains { $0.hasPrefix("report-share") && $0.hasSuffix("never") })
        #expect(lines.contains { $0.hasPrefix("health-checks") && $0.hasSuffix("4000") })
        #expect(lines.contains { $0.hasPrefix("static-files") && $0.hasSuffix("0") })
        #expect(lines.contains("never fired (1): report-share"))
        #expect(lines.contains("rule ids in the data but not in the file: old-rule (3)"))
    }
}
