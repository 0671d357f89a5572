import ConfigValues
import Foundation

/// The `jobs:` section of the configuration: when the analytics service (`analytics serve`) runs
/// each scheduled job, and the job's own figure. Defaults are the old Celery schedule.
///
/// ```yaml
/// jobs:
///   time_zone: UTC                      # default for every job; a tz database name
///   activity_retention:                 # how many days: retention.days (unset: the job is off)
///     schedule: "sunday 03:00"
///   system_metrics_retention: {schedule: "sunday 04:00", days: 30}
///   hourly_rollup: {schedule: "hourly :05", hours: 24}
///   daily_rollup: {schedule: "daily 02:00", days: 3, time_zone: Europe/Berlin}
///   weekly_report: {schedule: "monday 09:00"}   # where it goes: the reports section
/// ```
/// Each job also takes `enabled` (default true) and `time_zone` (default `jobs.time_zone`).
/// Every key is encoded, so re-encoding shows unknown keys (`days` only where a job has it).
public struct JobsConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// One job's settings.
    public struct Settings: Encodable, Sendable, Equatable {
        /// Whether the scheduler runs it (`jobs run` runs it either way).
        public var enabled = true
        /// When it runs.
        public var schedule: JobSchedule
        /// Its time zone; `nil` uses `jobs.time_zone`.
        public var timeZone: String?
        /// Days kept or computed, for the jobs that have it.
        public var days: Int?
        /// Hours checked, for the jobs that have it.
        public var hours: Int?

        public init(schedule: JobSchedule, days: Int? = nil, hours: Int? = nil) {
            self.schedule = schedule
            self.days = days
            self.hours = hours
        }

        enum CodingKeys: String, CodingKey {
            case enabled, schedule, days, hours
            case timeZone = "time_zone"
        }

        /// What the file gives for a job: every key optional, merged over the defaults.
        struct Given: Decodable {
            var enabled: Bool?
            var schedule: JobSchedule?
            var timeZone: String?
            var days: Int?
            var hours: Int?

            enum CodingKeys: String, CodingKey {
                case enabled, schedule, days, hours
                case timeZone = "time_zone"
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(enabled, forKey: .enabled)
            try container.encode(schedule, forKey: .schedule)
            try container.encode(timeZone, forKey: .timeZone)
            if let days { try container.encode(days, forKey: .days) }
            if let hours { try container.encode(hours, forKey: .hours) }
        }
    }

    /// The time zone of every job without its own. Default `UTC`.
    public var timeZone = "UTC"
    /// Sunday 03:00; its age is `retention.days`.
    public var activityRetention = Settings(schedule: .weekly(weekday: 1, hour: 3, minute: 0))
    /// Sunday 04:00, 30 days.
    public var systemMetricsRetention = Settings(schedule: .weekly(weekday: 1, hour: 4, minute: 0), days: 30)
    /// Hourly at :05, the last 24 hours.
    public var hourlyRollup = Settings(schedule: .hourly(minute: 5), hours: 24)
    /// Daily at 02:00, the last 3 whole days (yesterday and the two before).
    public var dailyRollup = Settings(schedule: .daily(hour: 2, minute: 0), days: 3)
    /// Monday 09:00: the last complete ISO week's report (see `ReportsConfiguration`).
    public var weeklyReport = Settings(schedule: .weekly(weekday: 2, hour: 9, minute: 0))

    public init() {}

    /// The settings of `job`.
    public subscript(job: Job) -> Settings {
        get {
            switch job {
            case .activityRetention: activityRetention
            case .systemMetricsRetention: systemMetricsRetention
            case .hourlyRollup: hourlyRollup
            case .dailyRollup: dailyRollup
            case .weeklyReport: weeklyReport
            }
        }
        set {
            switch job {
            case .activityRetention: activityRetention = newValue
            case .systemMetricsRetention: systemMetricsRetention = newValue
            case .hourlyRollup: hourlyRollup = newValue
            case .dailyRollup: dailyRollup = newValue
            case .weeklyReport: weeklyReport = newValue
            }
        }
    }

    /// The time zone `job` runs in. Valid configurations only (see `problems()`); UTC otherwise.
    public func zone(of job: Job) -> TimeZone {
        TimeZone(identifier: self[job].timeZone ?? timeZone) ?? TimeZone(identifier: "UTC") ?? .current
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        timeZone = try container.decodeIfPresent(String.self, forKey: Key("time_zone")) ?? timeZone
        for job in Job.allCases {
            guard let given = try container.decodeIfPresent(Settings.Given.self, forKey: Key(job.configurationKey)) else { continue }
            var settings = self[job]
            settings.enabled = given.enabled ?? settings.enabled
            settings.schedule = given.schedule ?? settings.schedule
            settings.timeZone = given.timeZone
            // A figure the job does not have stays nil, so re-encoding reports the key as unknown.
            if settings.days != nil, let days = given.days { settings.days = days }
            if settings.hours != nil, let hours = given.hours { settings.hours = hours }
            self[job] = settings
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(timeZone, forKey: Key("time_zone"))
        for job in Job.allCases { try container.encode(self[job], forKey: Key(job.configurationKey)) }
    }

    /// The allowed `days` and `hours`.
    public static let allowedDays = 1...36_500
    public static let allowedHours = 1...8_760

    /// Every value decoding cannot judge, with its key path under `jobs`.
    public func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if TimeZone(identifier: timeZone) == nil {
            problems.append(ConfigurationProblem("time_zone", Self.unknownZone(timeZone)))
        }
        for job in Job.allCases {
            let settings = self[job]
            let key = job.configurationKey
            if let zone = settings.timeZone, TimeZone(identifier: zone) == nil {
                problems.append(ConfigurationProblem("\(key).time_zone", Self.unknownZone(zone)))
            }
            if let days = settings.days, !Self.allowedDays.contains(days) {
                problems.append(ConfigurationProblem("\(key).days", "\(days) is not allowed: give \(Self.allowedDays.lowerBound) to \(Self.allowedDays.upperBound) days"))
            }
            if let hours = settings.hours, !Self.allowedHours.contains(hours) {
                problems.append(ConfigurationProblem("\(key).hours", "\(hours) is not allowed: give \(Self.allowedHours.lowerBound) to \(Self.allowedHours.upperBound) hours (a year)"))
            }
        }
        return problems
    }

    private static func unknownZone(_ name: String) -> String {
        "\"\(name)\" is not a time zone this system knows: give UTC or a tz database name such as Europe/Berlin or America/New_York"
    }
}
