import Foundation
import PostgreSQL

/// A summary's period, the previous one of equal length, and how to read their rows: from
/// `activity` directly (a scan), or from the `activity_hourly` rollup for the whole hours and
/// `activity` for the partial hours at the edges. Both give rows `(t, activity_type, user_id, n)`:
/// `n` rows at time `t` (a row's time, or an hour's start).
///
/// Invariants of a period made by `init(filter:grouping:now:)`: `from < to`, at most
/// `maxDays` long (so the previous period starts after 1870 when `from` is after 1970, a time
/// PostgreSQL and Foundation both represent), and at most `maxBuckets` buckets for day and hour.
public struct SummaryPeriod: Sendable {
    /// Start of the period (inclusive).
    public let from: Date
    /// End of the period (exclusive).
    public let to: Date

    /// The longest period a summary covers, in days (100 years, like the oldest age).
    public static let maxDays = 36_500
    /// The largest number of day or hour buckets a summary may have.
    public static let maxBuckets = 10_000

    init(from: Date, to: Date) {
        self.from = from
        self.to = to
    }

    /// The period a summary of `filter` covers: the filter's range, by default the 7 days before
    /// its end (or `now`), checked against the invariants on the type. No database needed, so
    /// the HTTP routes and commands call it to refuse a request before any query runs.
    ///
    /// - Throws: `StorageError` `.invalidInput` with a sentence saying what is allowed.
    public init(filter: ActivityFilter, grouping: SummaryGrouping, now: Date) throws(StorageError) {
        let to = filter.to ?? now
        let from = filter.from ?? to.addingTimeInterval(-7 * 86_400)
        guard from < to else {
            throw .invalidInput("the period starts at \(SQLTime.text(from)), not before its end \(SQLTime.text(to)): give a start earlier than the end")
        }
        self.init(from: from, to: to)
        guard length <= Double(Self.maxDays) * 86_400 else {
            throw .invalidInput("the period is longer than \(Self.maxDays) days (100 years): give a later start or an earlier end")
        }
        if let width = grouping.bucketSeconds, length / width > Double(Self.maxBuckets) {
            throw .invalidInput("grouping by \(grouping.rawValue) over this period gives more than \(Self.maxBuckets) groups: choose a shorter period or a coarser grouping")
        }
    }

    var length: TimeInterval { to.timeIntervalSince(from) }
    var previousFrom: Date { from.addingTimeInterval(-length) }

    /// The hour boundaries that split [previousFrom, to) into edges and whole hours, or `nil`
    /// when the rollup cannot answer exactly: the length must be whole hours (so the previous
    /// period's hours shift onto this period's hours) and at least one hour.
    ///
    /// Whole hours: [a, b) in the previous period and [c, d) in this one; the rest are edges.
    var rollupBoundaries: (a: Date, b: Date, c: Date, d: Date)? {
        guard length >= 3_600, length.truncatingRemainder(dividingBy: 3_600) == 0 else { return nil }
        return (Self.ceilHour(previousFrom), Self.floorHour(from), Self.ceilHour(from), Self.floorHour(to))
    }

    func scanSource(_ filter: ActivityFilter, _ parameters: inout SQLParameters) -> String {
        var conditions = [
            "occurred_at >= \(parameters.add(SQLTime.text(previousFrom)))::timestamptz",
            "occurred_at < \(parameters.add(SQLTime.text(to)))::timestamptz",
        ]
        conditions += filter.conditions(&parameters, includingTime: false)
        return "SELECT occurred_at AS t, activity_type, user_id, 1 AS n FROM activity WHERE " + conditions.joined(separator: " AND ")
    }

    func rollupSource(_ filter: ActivityFilter, _ parameters: inout SQLParameters) -> String {
        guard let hours = rollupBoundaries else { preconditionFailure("rollupSource needs whole-hour periods") }
        func time(_ date: Date) -> String { parameters.add(SQLTime.text(date)) + "::timestamptz" }
        let (p, a, b, c, d, t) = (time(previousFrom), time(hours.a), time(hours.b), time(hours.c), time(hours.d), time(to))
        var typeCondition = ""
        if !filter.activityTypes.isEmpty {
            typeCondition = " AND activity_type IN (\(filter.activityTypes.map { parameters.add($0) }.joined(separator: ", ")))"
        }
        return """
            SELECT hour AS t, activity_type, NULL::text AS user_id, rows AS n FROM activity_hourly
            WHERE ((hour >= \(a) AND hour < \(b)) OR (hour >= \(c) AND hour < \(d)))\(typeCondition)
            UNION ALL
            SELECT occurred_at, activity_type, user_id, 1 FROM activity
            WHERE ((occurred_at >= \(p) AND occurred_at < \(a)) OR (occurred_at >= \(b) AND occurred_at < \(c))
                   OR (occurred_at >= \(d) AND occurred_at < \(t)))\(typeCondition)
            """
    }

    static func floorHour(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3_600).rounded(.down) * 3_600)
    }

    static func ceilHour(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3_600).rounded(.up) * 3_600)
    }
}
