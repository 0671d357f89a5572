/// A listening or connecting address written as `HOST:PORT`: `127.0.0.1:8080`, `[::1]:8080`,
/// `localhost:9090`, or `0.0.0.0:0` for any free port.
///
/// Invariant: `host` is non-empty and carries no brackets; `port` is 0...65535.
public struct HostPort: Hashable, Sendable, ConfigTextValue {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        precondition((0...65535).contains(port), "a port is 0...65535")
        self.host = host
        self.port = port
    }

    static let expected = #"an address such as "127.0.0.1:8080", "[::1]:8080" or "localhost:9090""#

    public init(parsing text: String) throws(ConfigValueError) {
        let error = ConfigValueError(value: text, expected: Self.expected)
        guard let colon = text.lastIndex(of: ":") else { throw error }
        var host = Substring(text[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { throw error }
            host = host.dropFirst().dropLast()
        } else if host.contains(":") {
            throw ConfigValueError(value: text, expected: Self.expected + "; write IPv6 addresses in brackets")
        }
        let portText = text[text.index(after: colon)...]
        guard !host.isEmpty, portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let port = Int(portText), (0...65535).contains(port) else {
            throw error
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension HostPort: Codable {
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeText(from: decoder.singleValueContainer())
    }

    public func encode(to encoder: any Encoder) throws {
        try encodeText(to: encoder)
    }
}
