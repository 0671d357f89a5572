/// A configuration value that must never be printed: a password, a token, a database URL with a
/// password in it.
///
/// Decodes from a plain string. Encodes, prints and logs as `"<redacted>"`, so the effective
/// configuration can be shown whole. Read the real text through `value`, and only where it is used.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The real text; never log it.
    public var value: String

    public init(_ value: String) { self.value = value }

    public static let redacted = "<redacted>"
    public var description: String { Self.redacted }
    public var debugDescription: String { Self.redacted }
}

extension Secret: Codable {
    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Self.redacted)
    }
}
