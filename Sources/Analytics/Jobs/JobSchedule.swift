import Foundation

/// When a job runs, in the wall-clock time of a time zone: weekly on a day at a time, daily at a
/// time, or hourly at a minute. Written in the configuration as `"sunday 03:00"`, `"daily 02:00"`
/// or `"hourly :05"`.
///
/// `nextRun(after:in:)` is pure (no clock, no I/O). Daylight saving time in a named zone:
/// - a wall time the clock skips (02:30 on the spring-forward night in Europe/Berlin) runs at the
///   moment the clock jumps (03:00 CEST), once;
/// - a wall time the clock shows twice (02:30 on the fall-back night) runs once, at its first
///   occurrence (CEST);
/// - hourly schedules run at every instant whose local minute matches: the repeated hour of a
///   fall-back night has its own run, the skipped hour of a spring-forward night has none.
public enum JobSchedule: Hashable, Sendable, CustomStringConvertible {
    /// Once a week, on `weekday` (1 Sunday ... 7 Saturday, as Foundation counts) at `hour:minute`.
    case weekly(weekday: Int, hour: Int, minute: Int)
    /// Once a day at `hour:minute`.
    case daily(hour: Int, minute: Int)
    /// Once an hour at `minute`.
    case hourly(minute: Int)

    /// Day names as written in the configuration, Sunday first (index + 1 is the weekday).
    public static let dayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// Parses `"sunday 03:00"`, `"daily 02:00"`, `"hourly :05"` (case-insensitive, day names may be
    /// abbreviated to three letters).
    /// - Throws: `ScheduleError` with a sentence saying what is allowed.
    public init(parsing text: String) throws(ScheduleError) {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count == 2 else { throw ScheduleError(text: text) }
        let (kind, time) = (words[0], words[1])
        if kind == "hourly" {
            let minuteText = time.hasPrefix(":") ? String(time.dropFirst()) : time
            guard let minute = Self.number(minuteText, in: 0...59) else { throw ScheduleError(text: text) }
            self = .hourly(minute: minute)
            return
        }
        let parts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let hour = Self.number(String(parts[0]), in: 0...23), let minute = Self.number(String(parts[1]), in: 0...59) else {
            throw ScheduleError(text: text)
        }
        if kind == "daily" {
            self = .daily(hour: hour, minute: minute)
        } else if let index = Self.dayNames.firstIndex(where: { $0 == kind || (kind.count == 3 && $0.hasPrefix(kind)) }) {
            self = .weekly(weekday: index + 1, hour: hour, minute: minute)
        } else {
            throw ScheduleError(text: text)
        }
    }

    private static func number(_ text: String, in range: ClosedRange<Int>) -> Int? {
        guard (1...2).contains(text.count), text.allSatisfy(\.isASCII), let value = Int(text), range.contains(value) else { return nil }
        return value
    }

    /// The configuration text, e.g. `sunday 03:00`.
    public var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch self {
        case .weekly(let weekday, let hour, let minute): return "\(Self.dayNames[weekday - 1]) \(two(hour)):\(two(minute))"
        case .daily(let hour, let minute): return "daily \(two(hour)):\(two(minute))"
        case .hourly(let minute): return "hourly :\(two(minute))"
        }
    }

    /// The first run strictly after `after`, in `zone`'s wall-clock time (see the type's notes on
    /// daylight saving time).
    public func nextRun(after: Date, in zone: TimeZone) -> Date {
        switch self {
        case .hourly(let minute):
            // The first whole minute after `after` whose local minute matches: offsets are whole
            // quarter hours, so at most 60 steps, except around a transition.
            var candidate = (after.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
            for _ in 0..<(2 * 1_440) {
                let date = Date(timeIntervalSince1970: candidate)
                let local = candidate + Double(zone.secondsFromGMT(for: date))
                if Int((local / 60).rounded(.down)).modulo(60) == minute { return date }
                candidate += 60
            }
            return Date(timeIntervalSince1970: candidate)
        case .daily(let hour, let minute):
            return nextDailyRun(after: after, in: zone, hour: hour, minute: minute) { _ in true }
        case .weekly(let weekday, let hour, let minute):
            // 1970-01-01 (day 0) was a Thursday (weekday 5).
            return nextDailyRun(after: after, in: zone, hour: hour, minute: minute) { day in (day + 4).modulo(7) + 1 == weekday }
        }
    }

    /// The run of the first local day (among those `includes` accepts) whose run is after `after`.
    private func nextDailyRun(after: Date, in zone: TimeZone, hour: Int, minute: Int, includes: (Int) -> Bool) -> Date {
        let localNow = after.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: after))
        let today = Int((localNow / 86_400).rounded(.down))
        for day in (today - 1)...(today + 9) where includes(day) {
            let run = Self.run(day: day, hour: hour, minute: minute, in: zone)
            if run > after { return run }
        }
        preconditionFailure("a daily or weekly schedule has a run within ten days")
    }

    /// The instant a job set for `hour:minute` runs on the local day `day` (days since 1970-01-01
    /// in `zone`): the earliest instant the clock shows that time, or, when the clock skips it,
    /// the moment of the jump.
    static func run(day: Int, hour: Int, minute: Int, in zone: TimeZone) -> Date {
        let wall = Double(day * 86_400 + hour * 3_600 + minute * 60)
        // The offsets in force around that day: the one before a transition and the one after.
        let offsets = Set([-86_400.0, 0, 86_400].map { zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall + $0)) })
        let matches = offsets.map { wall - Double($0) }
            .filter { Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: $0))) == wall - $0 }
        if let first = matches.min() { return Date(timeIntervalSince1970: first) }
        // Skipped by the clock: run when it jumps, the transition after the earliest candidate.
        let earliest = wall - Double(offsets.max() ?? 0)
        return zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: earliest - 1))
            ?? Date(timeIntervalSince1970: wall - Double(offsets.min() ?? 0))
    }
}

/// A schedule that does not parse; says what is allowed.
public struct ScheduleError: Error, CustomStringConvertible, Sendable {
    /// The text given.
    public var text: String

    public var description: String {
        "\"\(text)\" is not a schedule: give a day and a time (\"sunday 03:00\"), \"daily HH:MM\" or \"hourly :MM\" (24-hour clock)"
    }
}

extension JobSchedule: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try JobSchedule(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Int {
    /// The remainder that is never negative (`-1.modulo(7) == 6`).
    func modulo(_ divisor: Int) -> Int {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
