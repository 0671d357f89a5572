/// A configuration value written as one string in YAML (`"5s"`, `"32KiB"`, `"127.0.0.1:8080"`).
///
/// Conforming types parse with `init(parsing:)` and print with `description`; these helpers give
/// them the same `Codable` behaviour: a bad string is a decoding error at its key path, whose
/// message says what is allowed.
public protocol ConfigTextValue: CustomStringConvertible {
    init(parsing text: String) throws(ConfigValueError)
}

extension ConfigTextValue {
    /// Reads the value from a string in `container`.
    public static func decodeText(from container: any SingleValueDecodingContainer) throws -> Self {
        let text = try container.decode(String.self)
        do {
            return try Self(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Writes the value as its `description`.
    public func encodeText(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A number followed by an optional unit, as in `"250ms"`, `"1.5MB"` or `"30"`.
struct NumberWithUnit {
    var amount: Double
    /// Lowercased, without surrounding spaces; empty when there was none.
    var unit: String

    /// Nil when `text` does not start with a non-negative number.
    init?(_ text: String) {
        let trimmed = text.trimmingSpaces
        let digitsEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        guard let amount = Double(trimmed[..<digitsEnd]), amount >= 0 else { return nil }
        self.amount = amount
        self.unit = trimmed[digitsEnd...].trimmingCharacters(" ").lowercased()
    }

    /// `amount` times the scale of `unit` in `units` (or `bare` when there is no unit).
    ///
    /// Never traps: an unknown unit is `.unknownUnit`, a product that does not fit in `Int64`
    /// (`99999999999999999h`, `9999999999999GiB`, a number too long for a `Double`) is `.tooLarge`.
    func scaled(by units: [(suffix: String, scale: Int64)], bare: Int64) -> Scaled {
        let scale = unit.isEmpty ? bare : units.first { $0.suffix == unit }?.scale
        guard let scale else { return .unknownUnit }
        let total = (amount * Double(scale)).rounded()
        // `Double(Int64.max)` is 2^63, which `Int64` cannot hold: compare strictly.
        guard total.isFinite, total < Double(Int64.max) else { return .tooLarge }
        return .value(Int64(total))
    }

    /// The result of `scaled(by:bare:)`.
    enum Scaled: Equatable {
        case value(Int64)
        case unknownUnit
        case tooLarge
    }
}

extension String {
    var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}

extension Substring {
    func trimmingCharacters(_ character: Character) -> Substring {
        let start = firstIndex { $0 != character } ?? endIndex
        let end = lastIndex { $0 != character }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
