import ConfigValues

/// The upstream application's base URL: `http://HOST[:PORT]` with no path, query or credentials.
///
/// Invariant: the scheme is `http`, `host` is non-empty without brackets, `port` is 1...65535.
package struct UpstreamURL: Hashable, Sendable, ConfigTextValue {
    package var host: String
    package var port: Int

    package static let expected = #"an upstream URL such as "http://127.0.0.1:8000" (http only, no path)"#

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package init(parsing text: String) throws(ConfigValueError) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("https://") {
            throw ConfigValueError(
                value: text,
                expected: Self.expected + "; TLS to the upstream is not supported, the sidecar talks to the app on a local or private address")
        }
        guard lowered.hasPrefix("http://") else { throw ConfigValueError(value: text, expected: Self.expected) }
        var authority = Substring(text.dropFirst("http://".count))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains("/"), !authority.contains("?"), !authority.contains("@"), !authority.isEmpty else {
            throw ConfigValueError(value: text, expected: Self.expected)
        }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        let hostPort = try HostPort(parsing: hasPort ? String(authority) : "\(authority):80")
        guard hostPort.port > 0 else { throw ConfigValueError(value: text, expected: Self.expected) }
        self.init(host: hostPort.host, port: hostPort.port)
    }

    /// The value for a `Host` header addressed to the upstream.
    package var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return port == 80 ? host : "\(host):\(port)"
    }

    package var description: String { "http://\(hostHeader)" }
}

extension UpstreamURL: Codable {
    package init(from decoder: any Decoder) throws {
        self = try Self.decodeText(from: decoder.singleValueContainer())
    }

    package func encode(to encoder: any Encoder) throws {
        try encodeText(to: encoder)
    }
}
