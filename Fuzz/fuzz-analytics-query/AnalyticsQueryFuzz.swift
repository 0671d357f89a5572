import Foundation
import FuzzDriver
import Hummingbird

@testable import PostgreSQL
@testable import Analytics

/// Query strings through the analytics routes' own parsers (`QueryParameters` as Hummingbird
/// decodes them, then `UserActivityQuery`, `SummaryQuery` or `DashboardQuery`), and the value
/// parsers the CLI shares (`TimeBound`, `WholeNumber`, `SummaryGrouping`, `ISOWeek` of
/// `report weekly --week`), with no database.
///
/// Invariants, checked for every input:
/// - no trap anywhere (the sanitizers also catch memory errors);
/// - a parsed request is within its bounds: limit 1...100, offset 0...1000000, `top` in
///   `ActivitySummary.tops`, `from < to`, a summary period of at most `SummaryPeriod.maxDays`
///   whose previous period PostgreSQL can read, a `user` token confined to its user;
/// - a refused one is a 400 naming a parameter with a reason, or a 403, and its body is short
///   (the analyst's text is quoted shortened, never echoed whole).
///
/// The first input byte picks the token (bit 0: admin or the user `alice`) and the parser
/// (bits 1-3); the rest is the query string, or the value for the value parsers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[1...]), as: UTF8.self)
    let access = bytes[0] & 1 == 0 ? AnalyticsAccess(role: .admin) : AnalyticsAccess(role: .user, userID: "alice")
    switch (bytes[0] >> 1) % 6 {
    case 0: parse { () throws(AnalyticsProblem) in try UserActivityQuery(QueryParameters(query: text), access: access, now: Fuzzed.now) }.map { check($0.filter, access); check($0.page) }
    case 1: parse { () throws(AnalyticsProblem) in try SummaryQuery(QueryParameters(query: text), access: access, now: Fuzzed.now) }.map(check)
    case 2: parse { () throws(AnalyticsProblem) in try DashboardQuery(QueryParameters(query: text), access: access, now: Fuzzed.now) }.map(check)
    case 3: timeBound(text)
    case 4: wholeNumber(text)
    default:
        grouping(text)
        isoWeek(text)
    }
    return 0
}

@main
enum AnalyticsQueryFuzz {
    static func main() { runFuzzer(fuzzOneInput) }
}

enum Fuzzed {
    /// 2026-03-15T12:00:00Z, as in the tests.
    static let now = Date(timeIntervalSince1970: 1_773_576_000)
    /// The longest problem body: reasons quote at most `InputQuote.maximum` characters of input.
    static let maxProblemBytes = 1_000
}

/// The parsed value, or `nil` after checking the problem it threw.
func parse<T>(_ body: () throws(AnalyticsProblem) -> T) -> T? {
    do {
        return try body()
    } catch {
        switch error.status.code {
        case 400:
            precondition(error.field?.isEmpty == false && error.reason?.isEmpty == false, "a 400 names its parameter and reason: \(error)")
        case 403:
            break
        default:
            preconditionFailure("a parser answered \(error.status.code): \(error)")
        }
        precondition(error.response.headers[.contentType] != nil)
        precondition(error.detail.utf8.count + (error.reason?.utf8.count ?? 0) <= Fuzzed.maxProblemBytes, "problem body too long: \(error.detail.utf8.count) bytes")
        return nil
    }
}

func check(_ filter: ActivityFilter, _ access: AnalyticsAccess) {
    if let from = filter.from, let to = filter.to { precondition(from < to, "from \(from) is not before to \(to)") }
    if !access.readsEverything { precondition(filter.userID == access.userID, "a user token left its user") }
    precondition(filter.activityTypes.count <= ActivityFilter.maxActivityTypes)
    for date in [filter.from, filter.to].compactMap({ $0 }) { _ = SQLTime.text(date) }
    var parameters = SQLParameters()
    _ = filter.conditions(&parameters)
    precondition(parameters.values.count <= 200, "\(parameters.values.count) SQL parameters")
}

func check(_ page: PageRequest) {
    precondition(PageRequest.limits.contains(page.limit) && PageRequest.offsets.contains(page.offset))
    let listing = ActivityPage(total: RowCount.maximum, rows: [], page: page)
    _ = (listing.nextOffset, listing.previousOffset, listing.shownRange)
}

func check(_ query: SummaryQuery) {
    check(query.filter, AnalyticsAccess(role: query.filter.userID == nil ? .admin : .user, userID: query.filter.userID))
    if let top = query.top { precondition(ActivitySummary.tops.contains(top)) }
    checkPeriod(query.period, query.grouping)
}

func check(_ query: DashboardQuery) {
    check(query.filter, AnalyticsAccess(role: query.filter.userID == nil ? .admin : .user, userID: query.filter.userID))
    precondition(query.filter.from != nil, "the dashboard always has a start")
    check(query.page)
    guard let period = try? SummaryPeriod(filter: query.filter, grouping: query.timeline, now: Fuzzed.now) else {
        preconditionFailure("a dashboard query was accepted whose timeline period is refused")
    }
    checkPeriod(period, query.timeline)
}

func checkPeriod(_ period: SummaryPeriod, _ grouping: SummaryGrouping) {
    precondition(period.from < period.to && period.length <= Double(SummaryPeriod.maxDays) * 86_400)
    if let width = grouping.bucketSeconds { precondition(period.length / width <= Double(SummaryPeriod.maxBuckets)) }
    // What the summary query sends: the previous period's start must be a time PostgreSQL reads.
    precondition(period.previousFrom.timeIntervalSince1970 > -5_000_000_000, "previous period starts at \(period.previousFrom)")
    _ = (SQLTime.text(period.previousFrom), SQLTime.text(period.to), period.rollupBoundaries)
}

func timeBound(_ text: String) {
    do {
        let bound = try TimeBound(parsing: text)
        for side in [TimeBound.Side.lower, .upper] {
            let date = bound.resolve(now: Fuzzed.now, as: side)
            switch bound.kind {
            case .now, .ago:
                precondition(date <= Fuzzed.now && date >= Fuzzed.now.addingTimeInterval(-Double(TimeBound.maxAgeDays) * 86_400), "\(text) resolved to \(date)")
            case .day, .time:
                precondition(date >= TimeBound.earliest && date <= TimeBound.latest, "\(text) resolved to \(date)")
            }
            _ = SQLTime.text(date)
        }
    } catch {
        precondition(error.isInvalidInput && error.message.utf8.count <= Fuzzed.maxProblemBytes)
    }
}

func wholeNumber(_ text: String) {
    for range in [PageRequest.limits, PageRequest.offsets, ActivitySummary.tops, Int.min...Int.max] {
        do {
            let value = try WholeNumber.parse(text, in: range)
            precondition(range.contains(value) && text.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) })
        } catch {
            precondition(error.isInvalidInput && error.message.utf8.count <= Fuzzed.maxProblemBytes)
        }
    }
}

func grouping(_ text: String) {
    do {
        _ = try SummaryGrouping(parsing: text)
    } catch {
        precondition(error.message.utf8.count <= Fuzzed.maxProblemBytes)
    }
}

/// `--week`: a week parsed is exactly the text it came from, Monday to Monday, inside the years
/// allowed; a refusal is a short sentence.
func isoWeek(_ text: String) {
    do {
        let week = try ISOWeek(parsing: text)
        precondition(week.description == text && ISOWeek.years.contains(week.year) && (1...ISOWeek.weeks(in: week.year)).contains(week.week))
        precondition(week.end.timeIntervalSince(week.start) == 7 * 86_400 && ISOWeek(containing: week.start) == week && week.previous < week)
        _ = (SQLTime.text(week.previous.start), SQLTime.text(week.end))
    } catch {
        precondition(error.description.utf8.count <= Fuzzed.maxProblemBytes)
    }
}
