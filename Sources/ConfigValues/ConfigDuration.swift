/// A duration written for people: `"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"7d"`, or a bare number of seconds.
///
/// Invariant: never negative. Encodes back to the shortest exact form (`"1500ms"`, `"2m"`).
public struct ConfigDuration: Hashable, Sendable, Comparable, ConfigTextValue {
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

    static let units: [(suffix: String, scale: Int64)] = [
        ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000),
        ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
    ]
    static let expected = #"a duration such as "250ms", "5s", "2m", "1h" or "7d" (units ns, us, ms, s, m, h, d)"#

    static let tooLong = "a duration of at most 106751d (about 292 years, the most nanoseconds an Int64 holds)"

    /// Parses `"250ms"`, `"1.5s"`, `"2m"` or a bare number of seconds. A duration longer than
    /// `Int64.max` nanoseconds (`"99999999999999999h"`) is an error saying so, never a trap.
    public init(parsing text: String) throws(ConfigValueError) {
        switch NumberWithUnit(text)?.scaled(by: Self.units, bare: 1_000_000_000) {
        case let .value(nanoseconds): self.init(nanoseconds: nanoseconds)
        case .tooLarge: throw ConfigValueError(value: text, expected: Self.tooLong)
        case .unknownUnit, nil: throw ConfigValueError(value: text, expected: Self.expected)
        }
    }

    public var description: String {
        if nanoseconds == 0 { return "0s" }
        for unit in Self.units where nanoseconds % unit.scale == 0 {
            return "\(nanoseconds / unit.scale)\(unit.suffix)"
        }
        return "\(nanoseconds)ns"
    }

    public static func < (lhs: ConfigDuration, rhs: ConfigDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

extension ConfigDuration: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            // A YAML number is seconds. Scaled here rather than printed and parsed again, where
            // `1e+20` would read as the unknown unit `e+20`.
            let nanoseconds = (seconds * 1e9).rounded()
            guard seconds.isFinite, seconds >= 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: ConfigValueError(value: "\(seconds)", expected: Self.expected).description)
            }
            guard nanoseconds < Double(Int64.max) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: ConfigValueError(value: "\(seconds)", expected: Self.tooLong).description)
            }
            self.init(nanoseconds: Int64(nanoseconds))
            return
        }
        self = try Self.decodeText(from: container)
    }

    public func encode(to encoder: any Encoder) throws {
        try encodeText(to: encoder)
    }
}
