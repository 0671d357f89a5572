import ConfigValues

/// The upstream application and how the proxy talks to it.
package struct UpstreamConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// The application's base URL, `http://HOST:PORT`. Default `http://127.0.0.1:8000`.
    package var url = UpstreamURL(host: "127.0.0.1", port: 8000)
    /// Send the upstream's own host in `Host` instead of the client's. Default `false`: the app
    /// sees the `Host` the client sent, as it did without the proxy.
    package var rewriteHost = false
    /// How long a new upstream connection may take before the request fails with 502. Default `2s`.
    package var connectTimeout = ConfigDuration.seconds(2)
    /// How long the upstream may take to start its response before the request fails with 504.
    /// Default `60s`.
    package var responseHeadTimeout = ConfigDuration.seconds(60)
    /// Idle keep-alive connections kept per event loop. Default `64`.
    package var maxIdleConnections = 64
    /// How long an idle pooled connection is kept before it is closed. Default `30s`; keep it below
    /// the upstream's own keep-alive timeout.
    package var idleConnectionTimeout = ConfigDuration.seconds(30)

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case url
        case rewriteHost = "rewrite_host"
        case connectTimeout = "connect_timeout"
        case responseHeadTimeout = "response_head_timeout"
        case maxIdleConnections = "max_idle_connections"
        case idleConnectionTimeout = "idle_connection_timeout"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodeIfPresent(UpstreamURL.self, forKey: .url) ?? defaults.url
        rewriteHost = try container.decodeIfPresent(Bool.self, forKey: .rewriteHost) ?? defaults.rewriteHost
        connectTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .connectTimeout) ?? defaults.connectTimeout
        responseHeadTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .responseHeadTimeout) ?? defaults.responseHeadTimeout
        maxIdleConnections = try container.decodeIfPresent(Int.self, forKey: .maxIdleConnections) ?? defaults.maxIdleConnections
        idleConnectionTimeout =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .idleConnectionTimeout) ?? defaults.idleConnectionTimeout
    }

    package func problems() -> [ConfigurationProblem] {
        maxIdleConnections >= 0 ? [] : [ConfigurationProblem("max_idle_connections", "\(maxIdleConnections) is negative; use 0 or more")]
    }
}
