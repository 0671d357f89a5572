/// A scheduled job of the analytics service: the old Celery schedule, without Celery.
///
/// The raw value is the name on the command line (`trackingproxy jobs run activity-retention`),
/// in `job_runs.job` and in metric labels; it never changes.
public enum Job: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Removes activity older than `retention.days` (was `cleanup_old_activities`).
    case activityRetention = "activity-retention"
    /// Removes `system_metrics` rows older than `jobs.system_metrics_retention.days` (was `cleanup_old_system_metrics`).
    case systemMetricsRetention = "system-metrics-retention"
    /// Checks `activity_hourly` against `activity` for the last hours and repairs differences
    /// (was `update_report_usage_stats`).
    case hourlyRollup = "hourly-rollup"
    /// Computes `activity_daily` and `activity_active_users` for the last days (was
    /// `calculate_daily_metrics` and `calculate_dashboard_metrics_periodic`).
    case dailyRollup = "daily-rollup"
    /// Writes the weekly stakeholder report of the last complete ISO week to `reports.directory`
    /// and posts it to `reports.webhook_url` when set (was `generate_weekly_report`).
    case weeklyReport = "weekly-report"

    /// The configuration key under `jobs:`.
    public var configurationKey: String { rawValue.replacingOccurrences(of: "-", with: "_") }

    /// The session advisory lock a run holds (on a connection of its own), so that two analytics
    /// instances never run the same job at once. Distinct from the migration, partition and prune locks.
    public var lockKey: Int64 {
        switch self {
        case .activityRetention: 0x5452_4B50_0101
        case .systemMetricsRetention: 0x5452_4B50_0102
        case .hourlyRollup: 0x5452_4B50_0103
        case .dailyRollup: 0x5452_4B50_0104
        case .weeklyReport: 0x5452_4B50_0105
        }
    }

    /// One sentence for `jobs list`.
    public var summary: String {
        switch self {
        case .activityRetention: "remove activity older than retention.days"
        case .systemMetricsRetention: "remove system_metrics rows older than the configured days"
        case .hourlyRollup: "verify activity_hourly against activity for the last hours and repair differences"
        case .dailyRollup: "compute activity_daily and activity_active_users for the last days"
        case .weeklyReport: "write the last complete week's report to reports.directory and post it to reports.webhook_url"
        }
    }

    /// Why the job cannot run with this configuration, or nil. Only activity-retention has a
    /// precondition: `retention.days` (unset keeps every row, as before issue 12).
    public func unavailableReason(retention: RetentionConfiguration) -> String? {
        self == .activityRetention && retention.days == nil
            ? "retention.days is not set, so every row is kept; set it (e.g. 90) to prune" : nil
    }

    /// The jobs that cannot run with this configuration.
    public static func unavailable(retention: RetentionConfiguration) -> Set<Job> {
        Set(allCases.filter { $0.unavailableReason(retention: retention) != nil })
    }

    public static func < (lhs: Job, rhs: Job) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
