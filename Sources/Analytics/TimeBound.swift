import Foundation
import PostgreSQL

/// A point in time as analysts write it: `now`, a relative age (`30m`, `24h`, `7d`, `2w`), a date
/// (`2026-11-20`, UTC) or an RFC 3339 time (`2026-11-20T10:00:00Z`, `2026-11-20 10:00:00+01:00`).
///
/// A value type without I/O: `resolve(now:as:)` turns it into a `Date`.  A bare date names a whole
/// day, so as an upper bound it means the end of that day (the next midnight, UTC, exclusive).
///
/// Invariants, checked by the parser: an age is at most `maxAgeDays` days; a date or time lies
/// in the years 1970 to 9999 (`earliest` ..< `latest`); the text is at most `maxLength`
/// characters. So every resolved moment is one PostgreSQL and Foundation both represent.
public struct TimeBound: Hashable, Sendable, CustomStringConvertible {
    /// What the text said.
    public enum Kind: Hashable, Sendable {
        /// The moment of the query.
        case now
        /// This many seconds before the moment of the query (0 ... `maxAgeDays` days).
        case ago(seconds: Int64)
        /// A calendar day in UTC, as midnight at its start.
        case day(Date)
        /// An exact time.
        case time(Date)
    }

    /// The parsed form.
    public let kind: Kind
    /// The text it was parsed from.
    public let text: String

    /// What a time may look like, for error messages and help text.
    public static let allowed = "a date (2026-11-20), an RFC 3339 time (2026-11-20T10:00:00Z), `now`, or an age such as 30m, 24h, 7d or 2w"

    /// The oldest age accepted, in days (100 years).
    public static let maxAgeDays: Int64 = 36_500
    /// The earliest date or time accepted: 1970-01-01T00:00:00Z.
    public static let earliest = Date(timeIntervalSince1970: 0)
    /// The first moment no longer accepted: 10000-01-01T00:00:00Z.
    public static let latest = Date(timeIntervalSince1970: 253_402_300_800)
    /// The longest text accepted (an RFC 3339 time with nanoseconds and an offset has 35).
    public static let maxLength = 64

    static let unitSeconds: [UInt8: Int64] = [UInt8(ascii: "m"): 60, UInt8(ascii: "h"): 3_600, UInt8(ascii: "d"): 86_400, UInt8(ascii: "w"): 604_800]

    /// Parses the forms listed on the type.
    ///
    /// - Throws: `StorageError` with code `.invalidInput` and a sentence saying what is allowed.
    public init(parsing text: String) throws(StorageError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= Self.maxLength else {
            throw .invalidInput("\(InputQuote.quote(trimmed)) is too long to be a time: use \(Self.allowed)")
        }
        self.text = trimmed
        if trimmed.lowercased() == "now" {
            kind = .now
        } else if let seconds = try Self.parseAge(trimmed) {
            kind = .ago(seconds: seconds)
        } else if let day = Self.parseDay(trimmed) {
            kind = .day(try Self.checkedYear(day, trimmed))
        } else if let time = Self.parseTime(trimmed) {
            kind = .time(try Self.checkedYear(time, trimmed))
        } else {
            throw .invalidInput("\(InputQuote.quote(trimmed)) is not a time: use \(Self.allowed)")
        }
    }

    /// Which end of a range the bound closes; it matters only for a bare date.
    public enum Side: Sendable {
        /// Inclusive start: a date means its first moment.
        case lower
        /// Exclusive end: a date means the first moment of the following day.
        case upper
    }

    /// The moment this bound names, relative to `now`.
    public func resolve(now: Date, as side: Side) -> Date {
        switch kind {
        case .now: return now
        case .ago(let seconds): return now.addingTimeInterval(-Double(seconds))
        case .time(let date): return date
        case .day(let start): return side == .lower ? start : start.addingTimeInterval(86_400)
        }
    }

    public var description: String { text }

    /// `7d` → 604800 seconds; `nil` when the text is not an age at all (no unit, or not digits).
    private static func parseAge(_ text: String) throws(StorageError) -> Int64? {
        guard let unit = text.utf8.last, let scale = unitSeconds[unit] else { return nil }
        let amount = text.utf8.dropLast()
        guard !amount.isEmpty, amount.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let maxAmount = maxAgeDays * 86_400 / scale
        // Digits only, so at most 64 of them: compare as a number only when it fits, else it is too large.
        var value: Int64 = 0
        for digit in amount {
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
            guard value <= maxAmount else {
                throw .invalidInput("\(InputQuote.quote(text)) is too long ago: give an age of at most \(maxAgeDays)d (100 years), or a date")
            }
        }
        return value * scale
    }

    private static func checkedYear(_ date: Date, _ text: String) throws(StorageError) -> Date {
        guard date >= earliest, date < latest else {
            throw .invalidInput("\(InputQuote.quote(text)) is out of range: give a time in the years 1970 to 9999")
        }
        return date
    }

    private static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = asciiNumber(parts[0]), let month = asciiNumber(parts[1]), let day = asciiNumber(parts[2]) else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: utcCalendar) else { return nil }
        return utcCalendar.date(from: components)
    }

    /// The value of a short run of ASCII digits (no sign, no spaces), or `nil`.
    private static func asciiNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 4, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }

    private static func parseTime(_ text: String) -> Date? {
        // RFC 3339 allows a space instead of "T" and a lower-case "t"/"z". ASCII only from here:
        // the shape check below accepts nothing else.
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        var normalized = Array(text.uppercased().utf8)
        if normalized.count > 10, normalized[10] == UInt8(ascii: " ") { normalized[10] = UInt8(ascii: "T") }
        let string = String(decoding: normalized, as: UTF8.self)
        // The parser below accepts out-of-range fields (hour 25): check the shape and ranges first.
        guard let match = string.wholeMatch(of: rfc3339),
              let hour = asciiNumber(match.output.1), let minute = asciiNumber(match.output.2), let second = asciiNumber(match.output.3),
              hour < 24, minute < 60, second < 61, parseDay(String(string.prefix(10))) != nil else { return nil }
        if let offsetHours = match.output.4, let offsetMinutes = match.output.5 {
            guard let hours = asciiNumber(offsetHours), let minutes = asciiNumber(offsetMinutes), hours < 24, minutes < 60 else { return nil }
        }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(string) { return date }
        return try? Date.ISO8601FormatStyle().parse(string)
    }

    /// Built per use: `Regex` is not `Sendable`, so it cannot be a shared static.
    private static var rfc3339: Regex<(Substring, Substring, Substring, Substring, Substring?, Substring?)> {
        #/[0-9]{4}-[0-9]{2}-[0-9]{2}T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?(?:Z|[+-]([0-9]{2}):([0-9]{2}))/#
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        // UTC always exists; the fallback only keeps a force unwrap out of the code.
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()
}
