import Foundation

/// A point in time as analysts write it: `now`, a relative age (`30m`, `24h`, `7d`, `2w`), a date
/// (`2026-11-20`, UTC) or an RFC 3339 time (`2026-11-20T10:00:00Z`, `2026-11-20 10:00:00+01:00`).
///
/// A value type without I/O: `resolve(now:as:)` turns it into a `Date`. A bare date names a whole
/// day, so as an upper bound it means the end of that day (the next midnight, UTC, exclusive).
public struct TimeBound: Hashable, Sendable, CustomStringConvertible {
    /// What the text said.
    public enum Kind: Hashable, Sendable {
        /// The moment of the query.
        case now
        /// This many seconds before the moment of the query.
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

    static let unitSeconds: [Character: Int64] = ["m": 60, "h": 3_600, "d": 86_400, "w": 604_800]

    /// Parses the forms listed on the type.
    ///
    /// - Throws: `IngestError` with code `.invalidInput` and a sentence saying what is allowed.
    public init(parsing text: String) throws(IngestError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        self.text = trimmed
        if trimmed.lowercased() == "now" {
            kind = .now
        } else if let unit = trimmed.last, let scale = Self.unitSeconds[unit],
                  let amount = Int64(trimmed.dropLast()), amount >= 0, amount <= 100 * 365 * 86_400 / scale {
            kind = .ago(seconds: amount * scale)
        } else if let day = Self.parseDay(trimmed) {
            kind = .day(day)
        } else if let time = Self.parseTime(trimmed) {
            kind = .time(time)
        } else {
            throw .invalidInput("\"\(text)\" is not a time: use \(Self.allowed)")
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

    private static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: utcCalendar) else { return nil }
        return utcCalendar.date(from: components)
    }

    private static func parseTime(_ text: String) -> Date? {
        // RFC 3339 allows a space instead of "T" and a lower-case "t"/"z".
        var normalized = text.uppercased()
        if normalized.count > 10, normalized[normalized.index(normalized.startIndex, offsetBy: 10)] == " " {
            normalized.replaceSubrange(normalized.index(normalized.startIndex, offsetBy: 10)...normalized.index(normalized.startIndex, offsetBy: 10), with: "T")
        }
        // The parser below accepts out-of-range fields (hour 25): check the shape and ranges first.
        guard let match = normalized.wholeMatch(of: rfc3339),
              let hour = Int(match.output.1), let minute = Int(match.output.2), let second = Int(match.output.3),
              hour < 24, minute < 60, second < 61, parseDay(String(normalized.prefix(10))) != nil else { return nil }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(normalized) { return date }
        return try? Date.ISO8601FormatStyle().parse(normalized)
    }

    /// Built per use: `Regex` is not `Sendable`, so it cannot be a shared static.
    private static var rfc3339: Regex<(Substring, Substring, Substring, Substring)> { #/\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})/# }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
