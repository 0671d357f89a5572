/// Logging.
package struct LogConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// One of `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`. Default `info`.
    package var level = "info"

    package static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    package enum CodingKeys: String, CodingKey, CaseIterable { case level }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.decodeIfPresent(String.self, forKey: .level) ?? Self().level
    }

    package func problems() -> [ConfigurationProblem] {
        Self.levels.contains(level) ? [] : [ConfigurationProblem("level", "\"\(level)\" is not a log level; use one of \(Self.levels.joined(separator: ", "))")]
    }
}
