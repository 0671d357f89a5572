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

    /// `amount` times the scale of `unit` in `units` (or `bare` when there is no unit), if it fits.
    func scaled(by units: [(suffix: String, scale: Int64)], bare: Int64) -> Int64? {
        let scale = unit.isEmpty ? bare : units.first { $0.suffix == unit }?.scale
        guard let scale else { return nil }
        let total = amount * Double(scale)
        return total < Double(Int64.max) ? Int64(total.rounded()) : nil
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
