import ConfigValues

/// The admin listener.
package struct AdminConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Where `/healthz`, `/readyz` and `/metrics` are served. Default `127.0.0.1:9090`.
    package var listen = HostPort(host: "127.0.0.1", port: 9090)
    /// Time a connection may stay without a complete request (idle, or sending its head) before
    /// it is closed. Default `60s`.
    package var idleTimeout = ConfigDuration.seconds(60)
    /// Most admin connections open at once; past it new ones wait in the listen backlog, so idle
    /// sockets never take the descriptors the proxy needs. Default `256`.
    package var maxConnections = 256

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case idleTimeout = "idle_timeout"
        case maxConnections = "max_connections"
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let listener = try ListenerSettings.decode(
            from: container, listenKey: .listen, idleTimeoutKey: .idleTimeout, maxConnectionsKey: .maxConnections,
            defaults: ListenerSettings(listen: defaults.listen))
        (listen, idleTimeout, maxConnections) = (listener.listen, listener.idleTimeout, listener.maxConnections)
    }

    package func problems() -> [ConfigurationProblem] {
        var listener = ListenerSettings(listen: listen)
        (listener.idleTimeout, listener.maxConnections) = (idleTimeout, maxConnections)
        return listener.problems()
    }
}
