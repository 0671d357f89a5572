import ConfigValues

/// Graceful shutdown.
package struct ShutdownConfiguration: Codable, Sendable, Equatable {
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT before their
    /// connections are closed. Default `30s`.
    package var gracePeriod = ConfigDuration.seconds(30)

    package enum CodingKeys: String, CodingKey, CaseIterable { case gracePeriod = "grace_period" }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        gracePeriod = try container.decodeIfPresent(ConfigDuration.self, forKey: .gracePeriod) ?? Self().gracePeriod
    }
}
