import Foundation
import PostgreSQL

/// An ISO 8601 week (`2026-W48`): Monday 00:00 UTC to the next Monday 00:00 UTC. Week 1 of a year
/// is the week holding its first Thursday (so 4 January is always in it); a year has 52 or 53 weeks.
///
/// Invariants, checked by every initialiser: `year` in `representableYears` (in `years` when
/// parsed), `week` in 1 through `weeks(in: year)`; so every parsed week has a `previous` before it.
public struct ISOWeek: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The ISO week-numbering year (may differ from the calendar year around 1 January).
    public let year: Int
    /// 1 through 52 or 53.
    public let week: Int

    /// The years a week may be given in (`--week`): dates Foundation and PostgreSQL both represent,
    /// with room for the week before and the week after.
    public static let years = 1972...9998
    /// The years `init(containing:)` clamps to: one more on each side of `years`, so that the week
    /// before 1972-W01 is 1971-W52 and not (clamped) 1972-W01 again, which would compare a week
    /// with itself (found in review with `years` starting at 1971: fuzz-analytics-query's
    /// `week.previous < week` trapped on `1971-W01`, kept in Tests/Fuzz/Crashes).
    public static let representableYears = (years.lowerBound - 1)...(years.upperBound + 1)

    /// Why a text is not a week.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// A sentence saying what was wrong and what to give instead.
        public let description: String
    }

    /// Parses `YYYY-Www` exactly: four digits, `-W`, two digits; the week must exist in that year.
    /// - Throws: `ParseError` naming what is wrong (`2026-W53`: "2026 has 52 weeks").
    public init(parsing text: String) throws(ParseError) {
        let example = "give an ISO week as YYYY-Www, such as 2026-W48"
        let characters = Array(text.utf8)
        guard characters.count == 8, characters[4] == UInt8(ascii: "-"), characters[5] == UInt8(ascii: "W"),
              characters[0..<4].allSatisfy(Self.isDigit), characters[6..<8].allSatisfy(Self.isDigit),
              let year = Int(String(decoding: characters[0..<4], as: UTF8.self)),
              let week = Int(String(decoding: characters[6..<8], as: UTF8.self))
        else {
            throw ParseError(description: "\(InputQuote.quote(text)) is not an ISO week: \(example)")
        }
        guard Self.years.contains(year) else {
            throw ParseError(description: "\(InputQuote.quote(text)): the year \(year) is out of range: give a year from \(Self.years.lowerBound) to \(Self.years.upperBound)")
        }
        let weeks = Self.weeks(in: year)
        guard (1...weeks).contains(week) else {
            throw ParseError(description: "\(InputQuote.quote(text)): \(year) has weeks 1 to \(weeks), not \(week): \(example)")
        }
        self.year = year
        self.week = week
    }

    /// The week holding `date` (UTC). Dates outside `representableYears` are clamped to its first or last week.
    public init(containing date: Date) {
        let day = Self.dayNumber(of: date)
        let monday = day - (day + 3).modulo(7)
        // The Thursday of a week decides its year.
        let year = MonthPartition(containing: Date(timeIntervalSince1970: Double(monday + 3) * 86_400)).year
        let range = Self.representableYears
        guard range.contains(year) else {
            self.year = year < range.lowerBound ? range.lowerBound : range.upperBound
            self.week = year < range.lowerBound ? 1 : Self.weeks(in: range.upperBound)
            return
        }
        self.year = year
        self.week = (monday - Self.firstMonday(of: year)) / 7 + 1
    }

    /// The last week that is over at `now`: the one before the week holding `now`.
    public static func lastComplete(before now: Date) -> ISOWeek {
        ISOWeek(containing: ISOWeek(containing: now).start.addingTimeInterval(-86_400))
    }

    /// Monday 00:00 UTC (inclusive).
    public var start: Date { Date(timeIntervalSince1970: Double(Self.firstMonday(of: year) + (week - 1) * 7) * 86_400) }
    /// The next Monday 00:00 UTC (exclusive).
    public var end: Date { start.addingTimeInterval(7 * 86_400) }
    /// The week before (its start is this week's start minus 7 days).
    public var previous: ISOWeek { ISOWeek(containing: start.addingTimeInterval(-86_400)) }

    /// `2026-W48`.
    public var description: String { "\(year)-W\(week < 10 ? "0" : "")\(week)" }

    public static func < (lhs: ISOWeek, rhs: ISOWeek) -> Bool { (lhs.year, lhs.week) < (rhs.year, rhs.week) }

    /// 52 or 53: the weeks between this year's first Monday and the next year's.
    public static func weeks(in year: Int) -> Int { (firstMonday(of: year + 1) - firstMonday(of: year)) / 7 }

    /// The day number (days since 1970-01-01) of the Monday of week 1 of `year`.
    static func firstMonday(of year: Int) -> Int {
        let january4 = ActivityStore.daysFromCivil(year, 1) + 3
        return january4 - (january4 + 3).modulo(7)
    }

    static func dayNumber(of date: Date) -> Int {
        let days = (date.timeIntervalSince1970 / 86_400).rounded(.down)
        // Clamped so that no date (not even .distantFuture) can make `Int(_:)` trap.
        return Int(min(max(days, -1_000_000), 3_000_000))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
