import ConfigValues

/// Limits and timeouts applied to client connections.
package struct ClientConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Largest request header section; larger → 431. Default `32KiB`.
    package var maxHeaderBytes = ByteSize.kibibytes(32)
    /// Longest request-target; longer → 414. Default `8KiB`.
    package var maxURLBytes = ByteSize.kibibytes(8)
    /// Largest request body; larger → 413. Default: none (`null`).
    package var maxBodyBytes: ByteSize? = nil
    /// Most client connections open at once; past it new connections are closed. Default `10000`.
    package var maxConnections = 10_000
    /// Time a client has to send a whole request head once it started one (slowloris). Default `10s`.
    package var requestHeadTimeout = ConfigDuration.seconds(10)
    /// Time an idle keep-alive connection is kept open waiting for the next request. Default `75s`.
    package var idleTimeout = ConfigDuration.seconds(75)
    /// Longest wait for the next part of a request body the proxy is ready to read (nginx
    /// `client_body_timeout`); on expiry both connections close and nothing is recorded. Default `60s`.
    package var bodyTimeout = ConfigDuration.seconds(60)
    /// Longest time a response waits for the client to take any of it (nginx `send_timeout`); on
    /// expiry both connections close and nothing is recorded. Default `60s`.
    package var sendTimeout = ConfigDuration.seconds(60)
    /// Forward request header fields whose names contain `_` (nginx `underscores_in_headers`).
    /// Default `false`: they are dropped, because frameworks such as Django read `X_Forwarded_For`
    /// as `X-Forwarded-For`. Even when `true`, a name that reads as one the proxy sets or guards
    /// (`X_Forwarded_For`, `X_Real_IP`, an identity header, …) is dropped.
    package var underscoresInHeaders = false

    /// Upper bounds of the size limits: far above any sensible value, low enough that sums of
    /// them never overflow.
    package static let maxSizeLimit = 1 << 40

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case maxHeaderBytes = "max_header_bytes"
        case maxURLBytes = "max_url_bytes"
        case maxBodyBytes = "max_body_bytes"
        case maxConnections = "max_connections"
        case requestHeadTimeout = "request_head_timeout"
        case idleTimeout = "idle_timeout"
        case bodyTimeout = "body_timeout"
        case sendTimeout = "send_timeout"
        case underscoresInHeaders = "underscores_in_headers"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxHeaderBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxHeaderBytes) ?? defaults.maxHeaderBytes
        maxURLBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxURLBytes) ?? defaults.maxURLBytes
        maxBodyBytes = try container.decodeIfPresent(ByteSize.self, forKey: .maxBodyBytes) ?? defaults.maxBodyBytes
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? defaults.maxConnections
        requestHeadTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .requestHeadTimeout) ?? defaults.requestHeadTimeout
        idleTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .idleTimeout) ?? defaults.idleTimeout
        bodyTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .bodyTimeout) ?? defaults.bodyTimeout
        sendTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .sendTimeout) ?? defaults.sendTimeout
        underscoresInHeaders =
            try container.decodeIfPresent(Bool.self, forKey: .underscoresInHeaders) ?? defaults.underscoresInHeaders
    }

    package func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        for (key, timeout) in [(CodingKeys.bodyTimeout, bodyTimeout), (.sendTimeout, sendTimeout)] where timeout.nanoseconds < 1_000_000 {
            problems.append(ConfigurationProblem(key.rawValue, "\(timeout) is too short; use at least 1ms"))
        }
        for (key, size) in [(CodingKeys.maxHeaderBytes, maxHeaderBytes), (.maxURLBytes, maxURLBytes), (.maxBodyBytes, maxBodyBytes)] {
            guard let size, size.bytes > Self.maxSizeLimit else { continue }
            problems.append(ConfigurationProblem(key.rawValue, "\(size) is too large; use at most 1TiB"))
        }
        if maxConnections < 1 { problems.append(ConfigurationProblem("max_connections", "\(maxConnections) must be at least 1")) }
        if maxHeaderBytes.bytes < 1024 { problems.append(ConfigurationProblem("max_header_bytes", "too small; max_header_bytes must be at least 1KiB")) }
        if maxURLBytes.bytes < 256 { problems.append(ConfigurationProblem("max_url_bytes", "too small; max_url_bytes must be at least 256")) }
        return problems
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxHeaderBytes, forKey: .maxHeaderBytes)
        try container.encode(maxURLBytes, forKey: .maxURLBytes)
        try container.encode(maxBodyBytes, forKey: .maxBodyBytes)  // null when unlimited, so the key shows
        try container.encode(maxConnections, forKey: .maxConnections)
        try container.encode(requestHeadTimeout, forKey: .requestHeadTimeout)
        try container.encode(idleTimeout, forKey: .idleTimeout)
        try container.encode(bodyTimeout, forKey: .bodyTimeout)
        try container.encode(sendTimeout, forKey: .sendTimeout)
        try container.encode(underscoresInHeaders, forKey: .underscoresInHeaders)
    }
}
