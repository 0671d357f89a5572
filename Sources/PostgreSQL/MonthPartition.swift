import Foundation

/// One monthly partition of `activity`: rows whose `occurred_at` falls in that month, UTC.
///
/// A value type: names and bounds are computed without I/O; `Partitions` creates them.
package struct MonthPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The year, e.g. 2026.
    package let year: Int
    /// The month, 1...12.
    package let month: Int

    package init(year: Int, month: Int) {
        precondition((1...12).contains(month), "a month is 1...12")
        self.year = year
        self.month = month
    }

    /// The month holding `date`, in UTC. Pure arithmetic (Howard Hinnant's `civil_from_days`),
    /// no calendar: it runs for every row of every batch.
    package init(containing date: Date) {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month)
    }

    /// The table name, e.g. `activity_2026_11`.
    package var name: String { "activity_\(year)_\(month < 10 ? "0" : "")\(month)" }

    /// The following month.
    package var next: MonthPartition { month == 12 ? MonthPartition(year: year + 1, month: 1) : MonthPartition(year: year, month: month + 1) }

    private var lowerBound: String { "\(year)-\(month < 10 ? "0" : "")\(month)-01 00:00:00+00" }

    /// The DDL that creates it when missing.
    package var createStatement: String {
        "CREATE TABLE IF NOT EXISTS \(name) PARTITION OF activity FOR VALUES FROM ('\(lowerBound)') TO ('\(next.lowerBound)')"
    }

    /// `count` months starting with the one holding `date`: the partitions created ahead.
    package static func window(from date: Date, count: Int) -> [MonthPartition] {
        var months = [MonthPartition(containing: date)]
        while months.count < count { months.append(months.last!.next) }
        return months
    }

    package var description: String { name }

    package static func < (lhs: MonthPartition, rhs: MonthPartition) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}
