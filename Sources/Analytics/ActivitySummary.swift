import Foundation
import PostgreSQL

/// How a summary groups rows.
public enum SummaryGrouping: String, CaseIterable, Sendable {
    /// By `activity_type`.
    case type
    /// By `user_id` (rows without a user form one group).
    case user
    /// By UTC calendar day; days without rows appear with zero.
    case day
    /// By UTC hour; hours without rows appear with zero.
    case hour

    /// The allowed names, for help text and error messages.
    public static var allowedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses a name, also accepting the reports platform's `activity_type`.
    public init(parsing text: String) throws(StorageError) {
        if text == "activity_type" { self = .type; return }
        guard let value = SummaryGrouping(rawValue: text) else {
            throw .invalidInput("\(InputQuote.quote(text)) is not a grouping: use one of \(Self.allowedNames)")
        }
        self = value
    }

    /// The bucket width of a time grouping, in seconds; `nil` for type and user.
    var bucketSeconds: Double? {
        switch self {
        case .day: 86_400
        case .hour: 3_600
        case .type, .user: nil
        }
    }
}

/// Counts per group over a period, with each group's share of the total, and the same figures
/// for the previous period of equal length (the one that ends where this one starts).
///
/// Invariant: the `percentage`s of `groups` sum to exactly 100 when `total > 0` (largest
/// remainder rounding to hundredths); likewise `previousPercentage` when `previousTotal > 0`.
public struct ActivitySummary: Sendable {
    /// One group of rows.
    public struct Group: Hashable, Sendable {
        /// What the group is.
        public enum Key: Hashable, Sendable {
            /// An activity type, a user id, a day (`2026-11-20`) or an hour (`2026-11-20T10:00Z`).
            case value(String)
            /// Rows without a user id.
            case missing
            /// The groups beyond `top`, folded together; the number of groups folded.
            case others(Int)
        }

        /// Which rows the group holds.
        public var key: Key
        /// Rows in this period.
        public var count: Int
        /// Share of `total`, rounded to hundredths.
        public var percentage: Double
        /// Rows in the previous period (for day and hour: the bucket one period earlier).
        public var previousCount: Int
        /// Share of `previousTotal`, rounded to hundredths.
        public var previousPercentage: Double

        /// The key as shown to people: the value, `(no user)` or `(N others)`.
        public var label: String {
            switch key {
            case .value(let value): value
            case .missing: "(no user)"
            case .others(let count): "(\(count) others)"
            }
        }
    }

    /// How rows were grouped.
    public var grouping: SummaryGrouping
    /// Start of the period (inclusive).
    public var from: Date
    /// End of the period (exclusive).
    public var to: Date
    /// Start of the previous period; it ends at `from`.
    public var previousFrom: Date
    /// Rows in the period.
    public var total: Int
    /// Rows in the previous period.
    public var previousTotal: Int
    /// The groups: by count (type, user) or in time order (day, hour).
    public var groups: [Group]

    /// Change of `total` against `previousTotal`, in percent; `nil` when there was nothing before.
    public var changePercentage: Double? { Self.change(from: previousTotal, to: total) }

    /// The change from `previous` to `current` in percent, rounded to hundredths; `nil` when
    /// `previous` is 0 (nothing to compare with: the figure is new).
    public static func change(from previous: Int, to current: Int) -> Double? {
        guard previous > 0 else { return nil }
        // `+ 0` turns a negative zero into zero, so that no change never reads "-0.00 %".
        // Doubles: no subtraction of two counts can overflow.
        return (((Double(current) - Double(previous)) / Double(previous)) * 10_000).rounded() / 100 + 0
    }

    /// The allowed values of `top` (the groups kept before the rest are folded into one).
    public static let tops = 1...1_000

    /// Checks a `top` value.
    ///
    /// - Throws: `StorageError` `.invalidInput` naming the allowed range.
    public static func checkTop(_ top: Int) throws(StorageError) {
        guard tops.contains(top) else {
            throw .invalidInput("\(top) is out of range: give a whole number from \(tops.lowerBound) to \(tops.upperBound)")
        }
    }

    /// Each count's share of `total` in hundredths of a percent, rounded so that they add up to
    /// exactly 100 % (largest remainder method). All zero when `total` is zero. Counts are never
    /// negative (`RowCount`); their sum saturates rather than overflows.
    static func percentages(_ counts: [Int]) -> [Double] {
        let total = RowCount.sum(counts)
        guard total > 0 else { return counts.map { _ in 0 } }
        let exact = counts.map { Double($0) * 10_000 / Double(total) }
        // Clamped, so that no count (not even a saturated total) can make `Int(_:)` trap.
        var floors = exact.map { Int(min(max($0, 0), 10_000).rounded(.down)) }
        var missing = 10_000 - RowCount.sum(floors)
        let remainders = exact.indices.map { exact[$0] - Double(floors[$0]) }
        // Largest remainder first; ties go to the earlier group, so the result is deterministic.
        let order = exact.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
        for index in order where missing > 0 {
            floors[index] += 1
            missing -= 1
        }
        return floors.map { Double($0) / 100 }
    }
}
