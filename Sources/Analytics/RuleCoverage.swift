import Foundation
import JSONWriting

/// Which rules of a rules file fired in a period, and which exceptions excluded requests: the
/// report of `trackingproxy rules coverage`.
///
/// Built from plain ids (Analytics knows nothing of the rules format): the file's rule and
/// exception ids, in file order, and what the database holds for the period. Invariant: every
/// rule id of the file has exactly one entry in `rules`, every exception id one in `exceptions`;
/// `unknownRules` holds the `activity.rule_id`s of the period the file does not have.
public struct RuleCoverage: Sendable, Equatable {
    /// A rule of the file with the activities it produced.
    public struct RuleUse: Sendable, Equatable {
        public var ruleID: String
        public var activities: Int64
        /// The newest `occurred_at` of its activities in the period; nil when it never fired.
        public var lastFired: Date?

        public init(ruleID: String, activities: Int64, lastFired: Date?) {
            self.ruleID = ruleID
            self.activities = activities
            self.lastFired = lastFired
        }
    }

    /// An exception of the file with the requests it excluded.
    public struct ExceptionUse: Sendable, Equatable {
        public var exceptionID: String
        public var requestsExcluded: Int64

        public init(exceptionID: String, requestsExcluded: Int64) {
            self.exceptionID = exceptionID
            self.requestsExcluded = requestsExcluded
        }
    }

    public var since: Date
    public var until: Date
    public var rules: [RuleUse]
    public var exceptions: [ExceptionUse]
    /// Rule ids in `activity` for the period that the file no longer has, with their counts.
    public var unknownRules: [RuleUse]

    /// Rules of the file without an activity in the period.
    public var neverFired: [String] { rules.filter { $0.activities == 0 }.map(\.ruleID) }

    /// Combines the file's ids with the database's figures (`RuleCoverage.Figures`).
    public init(ruleIDs: [String], exceptionIDs: [String], figures: Figures) {
        since = figures.since
        until = figures.until
        var fired = Dictionary(figures.fired.map { ($0.ruleID, $0) }, uniquingKeysWith: { first, _ in first })
        rules = ruleIDs.map { id in fired.removeValue(forKey: id) ?? RuleUse(ruleID: id, activities: 0, lastFired: nil) }
        let excluded = Dictionary(figures.excluded.map { ($0.exceptionID, $0.requestsExcluded) }, uniquingKeysWith: { first, _ in first })
        exceptions = exceptionIDs.map { ExceptionUse(exceptionID: $0, requestsExcluded: excluded[$0] ?? 0) }
        unknownRules = fired.values.sorted { ($0.activities, $1.ruleID) > ($1.activities, $0.ruleID) }
    }

    /// What the database says about a period.
    public struct Figures: Sendable, Equatable {
        public var since: Date
        public var until: Date
        /// Per `activity.rule_id` with at least one row in the period.
        public var fired: [RuleUse]
        /// Per exception id with requests in `system_metrics_exceptions` in the period.
        public var excluded: [ExceptionUse]

        public init(since: Date, until: Date, fired: [RuleUse], excluded: [ExceptionUse]) {
            self.since = since
            self.until = until
            self.fired = fired
            self.excluded = excluded
        }
    }

    /// The report as one JSON object.
    public var json: String {
        let time = { (date: Date) in JSONText.string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))) }
        func ruleObject(_ use: RuleUse) -> String {
            var object = JSONText.Object()
            object.add("rule_id", string: use.ruleID)
            object.add("activities", raw: String(use.activities))
            object.add("last_fired", raw: use.lastFired.map(time))
            return object.text
        }
        var object = JSONText.Object()
        object.add("since", raw: time(since))
        object.add("until", raw: time(until))
        object.add("rules", raw: JSONText.array(rules.map(ruleObject)))
        object.add("exceptions", raw: JSONText.array(exceptions.map { use in
            var exception = JSONText.Object()
            exception.add("exception_id", string: use.exceptionID)
            exception.add("requests_excluded", raw: String(use.requestsExcluded))
            return exception.text
        }))
        object.add("never_fired", raw: JSONText.array(neverFired.map(JSONText.string)))
        object.add("unknown_rules", raw: JSONText.array(unknownRules.map(ruleObject)))
        return object.text
    }
}

extension ActivityStore {
    /// Activities per `rule_id` (with the newest `occurred_at`) and excluded requests per
    /// exception id, from `since` (inclusive) to `until` (exclusive).
    public func ruleCoverageFigures(since: Date, until: Date) async throws -> RuleCoverage.Figures {
        let parameters = [SQLTime.text(since), SQLTime.text(until)]
        let fired = try await connection.execute("""
            SELECT rule_id, count(*), extract(epoch FROM max(occurred_at))::double precision
            FROM activity WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND rule_id IS NOT NULL
            GROUP BY rule_id
            """, parameters: parameters, operation: "rules coverage")
        let excluded = try await connection.execute("""
            SELECT exception_id, sum(requests) FROM system_metrics_exceptions
            WHERE minute >= $1::timestamptz AND minute < $2::timestamptz GROUP BY exception_id
            """, parameters: parameters, operation: "rules coverage")
        return RuleCoverage.Figures(
            since: since, until: until,
            fired: fired.compactMap { row in
                guard row.count == 3, let id = row[0], let count = row[1].flatMap({ Int64($0) }) else { return nil }
                return RuleCoverage.RuleUse(ruleID: id, activities: count, lastFired: row[2].flatMap { Double($0) }.flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil })
            },
            excluded: excluded.compactMap { row in
                guard row.count == 2, let id = row[0], let count = row[1].flatMap({ Int64($0) }) else { return nil }
                return RuleCoverage.ExceptionUse(exceptionID: id, requestsExcluded: count)
            })
    }
}
