/// A size in bytes written for people: `"32KiB"`, `"16MiB"`, `"1GB"`, `"512"` (bytes).
///
/// Binary (`KiB`, `MiB`, `GiB`) and decimal (`KB`, `MB`, `GB`) suffixes are both accepted, as is a
/// bare number. Invariant: never negative.
public struct ByteSize: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The size in bytes; never negative.
    public let bytes: Int

    public init(bytes: Int) {
        precondition(bytes >= 0, "a byte size is never negative")
        self.bytes = bytes
    }

    public static func kibibytes(_ value: Int) -> ByteSize { .init(bytes: value * 1024) }
    public static func mebibytes(_ value: Int) -> ByteSize { .init(bytes: value * 1024 * 1024) }

    static let units: [(suffix: String, bytes: Int)] = [
        ("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
        ("gb", 1_000_000_000), ("mb", 1_000_000), ("kb", 1_000), ("b", 1),
    ]
    static let expected = #"a size such as "512", "32KiB", "16MiB" or "1GB" (units B, KB, MB, GB, KiB, MiB, GiB)"#

    /// Parses `"32KiB"`, `"1.5MB"` or a bare number of bytes.
    public init(parsing text: String) throws(ConfigValueError) {
        let trimmed = text.trimmingSpaces
        let digitsEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        let number = trimmed[..<digitsEnd]
        let unit = trimmed[digitsEnd...].trimmingCharacters(" ").lowercased()
        guard !number.isEmpty, let amount = Double(number), amount >= 0 else {
            throw ConfigValueError(value: text, expected: Self.expected)
        }
        let scale: Int
        if unit.isEmpty {
            scale = 1
        } else if let match = Self.units.first(where: { $0.suffix == unit }) {
            scale = match.bytes
        } else {
            throw ConfigValueError(value: text, expected: Self.expected)
        }
        let total = amount * Double(scale)
        guard total < Double(Int.max) else { throw ConfigValueError(value: text, expected: Self.expected) }
        self.init(bytes: Int(total.rounded()))
    }

    public var description: String {
        for (suffix, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= scale && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return "\(bytes)"
    }

    public static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }
}

extension ByteSize: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bytes = try? container.decode(Int.self) {
            guard bytes >= 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(bytes) is negative; a size is 0 or more bytes")
            }
            self.init(bytes: bytes)
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

extension Substring {
    func trimmingCharacters(_ character: Character) -> Substring {
        let start = firstIndex { $0 != character } ?? endIndex
        let end = lastIndex { $0 != character }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
