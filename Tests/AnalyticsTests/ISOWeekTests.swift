import Foundation
import Testing
@testable import Analytics

/// `--week` and the job's week: ISO 8601 weeks, parsed strictly.
@Suite struct ISOWeekTests {
    @Test(arguments: [
        ("2026-W48", "2026-11-23T00:00:00Z"), ("2026-W01", "2025-12-29T00:00:00Z"), ("2026-W53", "2026-12-28T00:00:00Z"),
        ("2021-W01", "2021-01-04T00:00:00Z"), ("2020-W53", "2020-12-28T00:00:00Z"), ("2027-W52", "2027-12-27T00:00:00Z"),
    ])
    func validWeeksStartOnTheirMonday(text: String, monday: String) throws {
        let week = try ISOWeek(parsing: text)
        #expect(week.start.formatted(.iso8601) == monday && week.end == week.start.addingTimeInterval(7 * 86_400))
        #expect(week.description == text)
        #expect(ISOWeek(containing: week.start) == week && ISOWeek(containing: week.end.addingTimeInterval(-1)) == week)
        #expect(week.previous.end == week.start)
    }

    @Test(arguments: [
        ("2027-W53", "2027 has weeks 1 to 52, not 53"), ("2026-W54", "2026 has weeks 1 to 53, not 54"), ("2026-W00", "not 0"),
        ("2026-48", "is not an ISO week"), ("2026-W5", "is not an ISO week"), ("2026-w48", "is not an ISO week"), (" 2026-W48", "is not an ISO week"),
        ("2026-W48 ", "is not an ISO week"), ("", "is not an ISO week"), ("1970-W01", "the year 1970 is out of range"),
        ("1971-W01", "give a year from 1972 to 9998"),
        ("+026-W48", "is not an ISO week"), ("2026-W4٨", "is not an ISO week"),
    ])
    func invalidWeeksAreRefusedWithASentence(text: String, message: String) {
        #expect { try ISOWeek(parsing: text) } throws: { error in
            ((error as? ISOWeek.ParseError)?.description ?? "").contains(message)
        }
    }

    @Test func theLastCompleteWeekIsTheOneBeforeNow() throws {
        let monday = try Date.ISO8601FormatStyle().parse("2026-11-30T09:00:00Z")
        #expect(ISOWeek.lastComplete(before: monday).description == "2026-W48")
        #expect(ISOWeek.lastComplete(before: monday.addingTimeInterval(-9 * 3_600 - 1)).description == "2026-W47")
        // Around new year: 2027-01-04 is Monday of 2027-W01; the week before is 2026-W53.
        #expect(ISOWeek.lastComplete(before: try Date.ISO8601FormatStyle().parse("2027-01-04T00:00:00Z")).description == "2026-W53")
        #expect(ISOWeek.weeks(in: 2026) == 53 && ISOWeek.weeks(in: 2025) == 52)
    }

    /// Every week of every allowed year: printed and parsed back, found from its own Monday, and
    /// the weeks follow each other without gap or overlap.
    @Test func everyWeekRoundTripsAndWeeksAreContiguous() throws {
        let first = try ISOWeek(parsing: "1972-W01")
        // The week before the first one allowed is still a week before it (it was clamped to
        // itself when the years began at 1971; Tests/Fuzz/Crashes/fuzz-analytics-query/week-1971-W01).
        #expect(first.previous.description == "1971-W52" && first.previous < first && first.previous.end == first.start)
        var previous = first
        for year in ISOWeek.years {
            for number in 1...ISOWeek.weeks(in: year) where (year, number) != (1972, 1) {
                let week = try ISOWeek(parsing: "\(year)-W\(number < 10 ? "0" : "")\(number)")
                guard week.start == previous.end, ISOWeek(containing: week.start) == week, week.previous == previous, previous < week else {
                    Issue.record("\(week) does not follow \(previous)")
                    return
                }
                previous = week
            }
        }
        #expect(previous.description == "9998-W\(ISOWeek.weeks(in: 9998))")
    }
}
