@testable import ProxyCore
@testable import DeploymentConfiguration
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

/// Issue 9: the analytics parsers, table-driven at their boundaries. Every outside value becomes
/// a bounded value or an input error naming what is allowed; none traps.
@Suite struct ParserBoundsTests {
    static let hugeDigits = String(repeating: "9", count: 400)

    @Test(arguments: [
        ("0", 0...100, 0), ("100", 0...100, 100), ("007", 0...100, 7), ("-0", 0...100, 0), ("-5", -10...10, -5),
        ("9223372036854775807", Int.min...Int.max, Int.max), ("-9223372036854775807", Int.min...Int.max, -Int.max),
    ] as [(String, ClosedRange<Int>, Int)])
    func wholeNumbers(text: String, range: ClosedRange<Int>, value: Int) throws {
        #expect(try WholeNumber.parse(text, in: range) == value)
    }

    @Test(arguments: [
        // (text, words of the refusal)
        ("9223372036854775807", "out of range"), ("-9223372036854775808", "out of range"), ("9223372036854775808", "out of range"),
        ("-1", "out of range"), ("101", "out of range"), (hugeDigits, "out of range"), ("-" + hugeDigits, "out of range"),
        ("+5", "not a whole number"), (" 5", "not a whole number"), ("5 ", "not a whole number"), ("\t5", "not a whole number"),
        ("", "not a whole number"), ("-", "not a whole number"), ("--5", "not a whole number"), ("5.0", "not a whole number"),
        ("1e3", "not a whole number"), ("0x10", "not a whole number"), ("٥", "not a whole number"), ("５", "not a whole number"),
        ("५", "not a whole number"), ("5\u{0}", "not a whole number"), ("Ⅴ", "not a whole number"),
    ])
    func wholeNumberRefusals(text: String, words: String) {
        #expect {
            _ = try WholeNumber.parse(text, in: 0...100)
        } throws: { error in
            let message = (error as? StorageError)?.message ?? ""
            return message.contains(words) && message.contains("0 to 100") && message.count < 200
        }
    }

    @Test(arguments: [
        // (limit, offset, field at fault or nil)
        (nil, nil, nil), ("1", "0", nil), ("100", "1000000", nil),
        ("0", nil, PageRequest.Problem.Field.limit), ("101", nil, .limit), ("9223372036854775807", nil, .limit), ("-9223372036854775808", nil, .limit),
        (nil, "-1", .offset), (nil, "1000001", .offset), (nil, "9223372036854775807", .offset), (nil, "+1", .offset), ("x", "y", .limit),
    ] as [(String?, String?, PageRequest.Problem.Field?)])
    func pages(limit: String?, offset: String?, field: PageRequest.Problem.Field?) {
        do {
            let page = try PageRequest(limitText: limit, offsetText: offset)
            #expect(field == nil, "accepted \(String(describing: limit)) \(String(describing: offset))")
            #expect(PageRequest.limits.contains(page.limit) && PageRequest.offsets.contains(page.offset))
        } catch {
            #expect(error.field == field)
        }
    }

    @Test(arguments: [(Int.max, 0), (Int.min, 0), (25, Int.max), (25, Int.min), (25, PageRequest.maxOffset + 1)] as [(Int, Int)])
    func pageInitialiserRefusesWhatTheTextsWould(limit: Int, offset: Int) {
        #expect(throws: StorageError.self) { try PageRequest(limit: limit, offset: offset) }
    }

    /// The deepest page: `offset + limit` is past `maxOffset`, so there is no next link, and the
    /// shown positions do not overflow.
    @Test func deepestPageHasNoNext() throws {
        let page = ActivityPage(total: RowCount.maximum, rows: [], page: try PageRequest(limit: 100, offset: PageRequest.maxOffset))
        #expect(page.nextOffset == nil && page.previousOffset == PageRequest.maxOffset - 100 && page.shownRange == nil)
    }

    @Test(arguments: [
        ("36500d", -36_500 * 86_400.0), ("52560000m", -36_500 * 86_400), ("876000h", -36_500 * 86_400), ("5214w", -5_214 * 604_800),
        ("0m", 0), ("007d", -7 * 86_400), ("NOW", 0), ("\u{2003}7d\u{2003}", -7 * 86_400),
    ] as [(String, Double)])
    func ages(text: String, offset: Double) throws {
        #expect(try TimeBound(parsing: text).resolve(now: referenceNow, as: .lower) == referenceNow.addingTimeInterval(offset))
    }

    @Test(arguments: [
        ("36501d", "36500d"), ("52560001m", "36500d"), ("99999999999d", "36500d"), ("9223372036854775807m", "36500d"), (String(hugeDigits.prefix(60)) + "d", "36500d"),
        ("+7d", "is not a time"), ("-7d", "is not a time"), ("7 d", "is not a time"), ("٧d", "is not a time"), ("7D", "is not a time"),
        ("1969-12-31", "1970 to 9999"), ("1969-12-31T23:59:59Z", "1970 to 9999"), ("1970-01-01T00:30:00+01:00", "1970 to 9999"),
        ("9999-12-31T23:59:59-01:00", "1970 to 9999"), ("10000-01-01", "is not a time"), ("+999-01-01", "is not a time"), ("0000-01-01", "time"),
        ("2026-11-20T10:00:00+24:00", "is not a time"), ("2026-11-20T10:00:00+00:60", "is not a time"), ("2026-11-20T10:00:00.1234567890Z", "is not a time"),
        ("2026-11-20T10:00:00", "is not a time"), ("２０２６-11-20", "is not a time"), ("2026-11-20T١٠:00:00Z", "is not a time"),
        (String(repeating: "1", count: 65), "too long"), (hugeDigits, "too long"), ("2026-02-29", "is not a time"), ("2026-11-20\u{0}", "is not a time"),
    ])
    func timeRefusals(text: String, words: String) {
        #expect {
            _ = try TimeBound(parsing: text)
        } throws: { error in
            let message = (error as? StorageError)?.message ?? ""
            return message.contains(words) && message.count < 300
        }
    }

    @Test(arguments: ["1970-01-01", "1970-01-01T00:00:00Z", "9999-12-31", "9999-12-31T23:59:59.999Z", "2024-02-29", "2026-11-20T10:00:00+14:00", "2026-11-20T10:00:00-12:00"])
    func timeEdges(text: String) throws {
        let bound = try TimeBound(parsing: text)
        for side in [TimeBound.Side.lower, .upper] {
            let date = bound.resolve(now: referenceNow, as: side)
            #expect(date >= TimeBound.earliest && date <= TimeBound.latest)
        }
    }

    /// The end of the last day accepted is written so that PostgreSQL reads it (checked through
    /// HTTP in `HardeningAPITests`).
    @Test func latestMomentIsWrittenInFull() {
        #expect(SQLTime.text(TimeBound.latest) == "10000-01-01T00:00:00.000Z")
        #expect(SQLTime.text(TimeBound.earliest) == "1970-01-01T00:00:00.000Z")
    }

    @Test(arguments: [
        (nil, 1.0, SummaryGrouping.type, true), (nil, 36_500, .type, true), (nil, 36_501, .type, false),
        (nil, 10_000, .day, true), (nil, 10_001, .day, false), (nil, 416, .hour, true), (nil, 417, .hour, false),
    ] as [(Date?, Double, SummaryGrouping, Bool)])
    func summaryPeriods(to: Date?, days: Double, grouping: SummaryGrouping, allowed: Bool) throws {
        let filter = try ActivityFilter(from: referenceNow.addingTimeInterval(-days * 86_400), to: to)
        #expect((try? SummaryPeriod(filter: filter, grouping: grouping, now: referenceNow)) != nil || !allowed)
        #expect((try? SummaryPeriod(filter: filter, grouping: grouping, now: referenceNow)) == nil || allowed)
    }

    @Test func summaryPeriodStartingInTheFutureIsRefused() throws {
        let filter = try ActivityFilter(from: referenceNow.addingTimeInterval(60))
        #expect { try SummaryPeriod(filter: filter, grouping: .type, now: referenceNow) } throws: { "\($0)".contains("earlier than the end") }
    }

    @Test(arguments: [1, 1_000])
    func topEdges(top: Int) throws { try ActivitySummary.checkTop(top) }

    @Test(arguments: [0, -1, 1_001, Int.max, Int.min])
    func topRefusals(top: Int) {
        #expect { try ActivitySummary.checkTop(top) } throws: { "\($0)".contains("1 to 1000") }
    }

    @Test(arguments: [
        ("192.0.2.0/24", true), ("192.0.2.0/0", true), ("192.0.2.0/32", true), ("192.0.2.0/024", true), ("2001:db8::/128", true),
        ("192.0.2.0/33", false), ("192.0.2.0/+24", false), ("192.0.2.0/ 24", false), ("192.0.2.0/24 ", false), ("192.0.2.0/-0", false),
        ("192.0.2.0/", false), ("/24", false), ("192.0.2.0/99999999999999999999", false), ("192.0.2.1\u{0}", false), ("192.0.2.0/٢٤", false),
        (String(repeating: "1", count: 100_000), false), ("::ffff:192.0.2.1/128", true), ("fe80::1%eth0", false),
    ])
    func addresses(text: String, valid: Bool) {
        #expect(ActivityFilter.isAddressOrNetwork(text) == valid, "\(text.prefix(40))")
    }

    @Test func filterValueLimits() throws {
        _ = try ActivityFilter(userID: String(repeating: "u", count: 1_024), activityTypes: Array(repeating: "t", count: 100))
        #expect(throws: StorageError.self) { try ActivityFilter(userID: String(repeating: "u", count: 1_025)) }
        #expect(throws: StorageError.self) { try ActivityFilter(userID: String(repeating: "é", count: 513)) }
        #expect(throws: StorageError.self) { try ActivityFilter(userID: "alice\u{0}") }
        #expect(throws: StorageError.self) { try ActivityFilter(activityTypes: Array(repeating: "t", count: 101)) }
        #expect(throws: StorageError.self) { try ActivityFilter(activityTypes: ["ok", String(repeating: "t", count: 1_025)]) }
    }

    /// A list is cut as soon as it is too long: a million commas never become a million strings.
    @Test func typeListsAreCutEarly() {
        let parameters = QueryParameters(query: "activity_type=" + String(repeating: "a,", count: 1_000_000))
        #expect(parameters.list("activity_type", limit: 100).count == 101)
    }

    /// Database answers are outside input too: counts are checked, sums saturate.
    @Test(arguments: [("0", 0), ("281474976710656", 1 << 48), (nil, 0)] as [(String?, Int)])
    func rowCounts(text: String?, value: Int) throws {
        #expect(try RowCount.parse(text, "test") == value)
    }

    @Test(arguments: ["-1", "281474976710657", "9223372036854775808", "x", "", "1.5"])
    func rowCountRefusals(text: String) {
        #expect { try RowCount.parse(text, "test") } throws: { ($0 as? StorageError)?.code == .unexpectedAnswer }
    }

    @Test func sumsSaturate() {
        #expect(RowCount.sum([Int.max, 1]) == Int.max)
        #expect(RowCount.sum([1 << 48, 1 << 48]) == 1 << 49)
        let shares = ActivitySummary.percentages([Int.max, Int.max, 1])
        #expect(shares.count == 3 && shares.allSatisfy { $0 >= 0 && $0 <= 100 })
    }

    @Test func rowsWithTheWrongShapeAreAnErrorNotATrap() {
        #expect { try ActivityRow(row: ["only one column"]) } throws: { ($0 as? StorageError)?.code == .unexpectedAnswer }
        #expect { try ActivityRow(row: []) } throws: { ($0 as? StorageError)?.code == .unexpectedAnswer }
    }
}
