import ConfigValues

/// The `retention:` section of the configuration: how long activity is kept when the analytics
/// service (`analytics serve`) prunes by itself. `trackingproxy db prune` (for cron) takes its age as a flag instead.
///
/// ```yaml
/// retention:
///   days: 90          # null (the default) turns daily pruning off
///   interval: "24h"   # time between two prunes
/// ```
/// Every key is encoded (`days` as `null` when unset), so re-encoding shows unknown keys.
public struct RetentionConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Days of activity to keep; `nil` (default) means nothing is ever pruned. 1 to 36500.
    public var days: Int?
    /// Time between two prunes (default 24h, at least 1m).
    public var interval: ConfigDuration

    public init(days: Int? = nil, interval: ConfigDuration = .seconds(86_400)) {
        self.days = days
        self.interval = interval
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case days
        case interval
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        days = try container.decodeIfPresent(Int.self, forKey: .days)
        interval = try container.decodeIfPresent(ConfigDuration.self, forKey: .interval) ?? .seconds(86_400)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(days, forKey: .days)
        try container.encode(interval, forKey: .interval)
    }

    /// The allowed values of `days`: a cutoff older than 100 years is no retention at all.
    public static let allowedDays = 1...36_500

    /// Every value decoding cannot judge, with its key path under `retention`.
    public func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if let days, !Self.allowedDays.contains(days) {
            problems.append(ConfigurationProblem("days", "\(days) is not allowed: give \(Self.allowedDays.lowerBound) to \(Self.allowedDays.upperBound) days (100 years), or null to keep everything"))
        }
        if interval < .seconds(60) { problems.append(ConfigurationProblem("interval", "\(interval) is too short: give at least 1m (the default is 24h)")) }
        return problems
    }
}
