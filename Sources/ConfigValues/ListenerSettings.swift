/// The settings every admin-side HTTP listener has (the sidecar's admin listener, the analytics
/// service): where it listens and its connection limits, read and checked the same way for both.
package struct ListenerSettings: Sendable, Equatable, ConfigurationSection {
    package var listen: HostPort
    /// Time a connection may stay without a complete request before it is closed.
    package var idleTimeout = ConfigDuration.seconds(60)
    /// Most connections open at once; past it new ones wait in the listen backlog.
    package var maxConnections = 256

    /// Connections one listener may hold open at once.
    package static let maxConnectionsRange = 1...10_000

    package init(listen: HostPort) {
        self.listen = listen
    }

    /// Reads the three keys, each optional (`defaults` otherwise).
    package static func decode<Key: CodingKey>(
        from container: KeyedDecodingContainer<Key>, listenKey: Key, idleTimeoutKey: Key, maxConnectionsKey: Key, defaults: Self
    ) throws -> Self {
        var settings = defaults
        settings.listen = try container.decodeIfPresent(HostPort.self, forKey: listenKey) ?? defaults.listen
        settings.idleTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: idleTimeoutKey) ?? defaults.idleTimeout
        settings.maxConnections = try container.decodeIfPresent(Int.self, forKey: maxConnectionsKey) ?? defaults.maxConnections
        return settings
    }

    /// The limits out of range, at the keys both listeners use (`idle_timeout`, `max_connections`).
    package func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if idleTimeout < .seconds(1) { problems.append(ConfigurationProblem("idle_timeout", "\(idleTimeout) is too short; give at least 1s (default 60s)")) }
        if !Self.maxConnectionsRange.contains(maxConnections) {
            problems.append(ConfigurationProblem("max_connections", "\(maxConnections) is out of range; give 1 to 10000 (default 256)"))
        }
        return problems
    }
}
