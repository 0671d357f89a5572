/// A duration written for people: `"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"7d"`, or a bare number of seconds.
///
/// Invariant: never negative. Encodes back to the shortest exact form (`"1500ms"`, `"2m"`).
public struct ConfigDuration: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The length in nanoseconds; never negative.
    public let nanoseconds: Int64

    public init(nanoseconds: Int64) {
        precondition(nanoseconds >= 0, "a configuration duration is never negative")
        self.nanoseconds = nanoseconds
    }

    public static func milliseconds(_ value: Int64) -> ConfigDuration { .init(nanoseconds: value * 1_000_000) }
    public static func seconds(_ value: Int64) -> ConfigDuration { .init(nanoseconds: value * 1_000_000_000) }

    /// The same length as a standard library `Duration`.
    public var duration: Duration { .nanoseconds(nanoseconds) }
    /// The length in (fractional) seconds.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
        ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
    ]
    static let expected = #"a duration such as "250ms", "5s", "2m", "1h" or "7d" (units ns, us, ms, s, m, h, d)"#

    /// Parses `"250ms"`, `"1.5s"`, `"2m"` or a bare number of seconds.
    public init(parsing text: String) throws(ConfigValueError) {
        let trimmed = text.trimmingSpaces
        let digitsEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        let number = trimmed[..<digitsEnd]
        let unit = trimmed[digitsEnd...].lowercased()
        guard !number.isEmpty, let amount = Double(number), amount >= 0 else {
            throw ConfigValueError(value: text, expected: Self.expected)
        }
        let scale: Int64
        if unit.isEmpty {
            scale = 1_000_000_000
        } else if let match = Self.units.first(where: { $0.suffix == unit }) {
            scale = match.nanoseconds
        } else {
            throw ConfigValueError(value: text, expected: Self.expected)
        }
        let total = amount * Double(scale)
        guard total < Double(Int64.max) else { throw ConfigValueError(value: text, expected: Self.expected) }
        self.init(nanoseconds: Int64(total.rounded()))
    }

    public var description: String {
        if nanoseconds == 0 { return "0s" }
        for unit in Self.units where nanoseconds % unit.nanoseconds == 0 {
            return "\(nanoseconds / unit.nanoseconds)\(unit.suffix)"
        }
        return "\(nanoseconds)ns"
    }

    public static func < (lhs: ConfigDuration, rhs: ConfigDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

extension ConfigDuration: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            try self.init(parsing: String(seconds))
            return
        }
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension String {
    var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
