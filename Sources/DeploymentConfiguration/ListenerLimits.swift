import ConfigValues

/// The settings every admin-side HTTP listener has (the sidecar's admin listener, the analytics
/// service): where it listens and its connection limits, read and checked the same way for both.
package struct ListenerSettings: Sendable, Equatable {
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

    /// Reads the three keys (each optional, `defaults` otherwise) and checks the limits; a value out
    /// of range is a `DecodingError` at its key.
    package static func decode<Key: CodingKey>(
        from container: KeyedDecodingContainer<Key>, listenKey: Key, idleTimeoutKey: Key, maxConnectionsKey: Key, defaults: Self
    ) throws -> Self {
        var settings = defaults
        settings.listen = try container.decodeIfPresent(HostPort.self, forKey: listenKey) ?? defaults.listen
        settings.idleTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: idleTimeoutKey) ?? defaults.idleTimeout
        settings.maxConnections = try container.decodeIfPresent(Int.self, forKey: maxConnectionsKey) ?? defaults.maxConnections
        guard settings.idleTimeout >= .seconds(1) else {
            throw DecodingError.dataCorruptedError(
                forKey: idleTimeoutKey, in: container, debugDescription: "\(settings.idleTimeout) is too short; give at least 1s (default 60s)")
        }
        guard maxConnectionsRange.contains(settings.maxConnections) else {
            throw DecodingError.dataCorruptedError(
                forKey: maxConnectionsKey, in: container,
                debugDescription: "\(settings.maxConnections) is out of range; give 1 to 10000 (default 256)")
        }
        return settings
    }
}
