import ConfigValues

/// The `retention:` section of the configuration: how long activity is kept when the analytics
/// service (`analytics serve`) prunes by itself, in its `activity-retention` job (scheduled by
/// `jobs.activity_retention`, default Sunday 03:00). `trackingproxy db prune` (for cron) takes its
/// age as a flag instead.
///
/// ```yaml
/// retention:
///   days: 90          # null (the default) keeps everything: the activity-retention job is off
/// ```
/// `interval` (the time between two prunes before issue 12) is refused with a sentence naming its
/// replacement, `jobs.activity_retention.schedule`, rather than ignored.
/// Every key is encoded (`days` as `null` when unset), so re-encoding shows unknown keys.
public struct RetentionConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Days of activity to keep; `nil` (default) means nothing is ever pruned. 1 to 36500.
    public var days: Int?
    /// Replaced by `jobs.activity_retention.schedule`; set only to report it (see `problems()`).
    public var interval: ConfigDuration?

    public init(days: Int? = nil, interval: ConfigDuration? = nil) {
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
        interval = try container.decodeIfPresent(ConfigDuration.self, forKey: .interval)
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
        if let interval {
            problems.append(ConfigurationProblem("interval", "retention.interval (\(interval)) is replaced by a schedule: remove it and set jobs.activity_retention.schedule, e.g. \"sunday 03:00\" (the default) or \"daily 03:00\""))
        }
        return problems
    }
}
