/// Logging.
package struct LogConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// One of `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`. Default `info`.
    package var level = "info"
    /// How each log line is written to standard error: `text` (default, swift-log's
    /// `StreamLogHandler`), `json` (one JSON object per line, for log shippers) or `auto` (`json`
    /// when standard error is not a terminal, `text` when it is). The default stays `text` so that
    /// a file that does not say keeps the logs it had; the deployment recipes under `deploy/` say `json`.
    package var format = "text"

    package static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// What `format` may be.
    package enum Format: String, CaseIterable, Sendable {
        case text, json, auto
    }

    package enum CodingKeys: String, CodingKey, CaseIterable { case level, format }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.decodeIfPresent(String.self, forKey: .level) ?? Self().level
        format = try container.decodeIfPresent(String.self, forKey: .format) ?? Self().format
    }

    /// `format` as a value; `text` when it is none (which `problems()` reports).
    package var resolvedFormat: Format { Format(rawValue: format) ?? .text }

    package func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if !Self.levels.contains(level) {
            problems.append(ConfigurationProblem("level", "\"\(level)\" is not a log level; use one of \(Self.levels.joined(separator: ", "))"))
        }
        if Format(rawValue: format) == nil {
            let allowed = Format.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append(ConfigurationProblem("format", "\"\(format)\" is not a log format; use one of \(allowed)"))
        }
        return problems
    }
}
