/// A size in bytes written for people: `"32KiB"`, `"16MiB"`, `"1GB"`, `"512"` (bytes).
///
/// Binary (`KiB`, `MiB`, `GiB`) and decimal (`KB`, `MB`, `GB`) suffixes are both accepted, as is a
/// bare number. Invariant: never negative.
public struct ByteSize: Hashable, Sendable, Comparable, ConfigTextValue {
    /// The size in bytes; never negative.
    public let bytes: Int

    public init(bytes: Int) {
        precondition(bytes >= 0, "a byte size is never negative")
        self.bytes = bytes
    }

    public static func kibibytes(_ value: Int) -> ByteSize { .init(bytes: value * 1024) }
    public static func mebibytes(_ value: Int) -> ByteSize { .init(bytes: value * 1024 * 1024) }

    static let units: [(suffix: String, scale: Int64)] = [
        ("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
        ("gb", 1_000_000_000), ("mb", 1_000_000), ("kb", 1_000), ("b", 1),
    ]
    static let expected = #"a size such as "512", "32KiB", "16MiB" or "1GB" (units B, KB, MB, GB, KiB, MiB, GiB)"#

    static let tooLarge = "a size of at most 8589934591GiB (the most bytes an Int64 holds)"

    /// Parses `"32KiB"`, `"1.5MB"` or a bare number of bytes. A size above `Int64.max` bytes
    /// (`"9999999999999GiB"`) is an error saying so, never a trap.
    public init(parsing text: String) throws(ConfigValueError) {
        switch NumberWithUnit(text)?.scaled(by: Self.units, bare: 1) {
        case let .value(bytes):
            guard let bytes = Int(exactly: bytes) else { throw ConfigValueError(value: text, expected: Self.tooLarge) }
            self.init(bytes: bytes)
        case .tooLarge: throw ConfigValueError(value: text, expected: Self.tooLarge)
        case .unknownUnit, nil: throw ConfigValueError(value: text, expected: Self.expected)
        }
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
        self = try Self.decodeText(from: container)
    }

    public func encode(to encoder: any Encoder) throws {
        try encodeText(to: encoder)
    }
}
