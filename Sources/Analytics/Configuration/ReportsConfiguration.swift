import ConfigValues
import Foundation

/// The `reports:` section of the configuration: where the `weekly-report` job (scheduled by
/// `jobs.weekly_report`, default Monday 09:00) writes the report, and the webhook it posts to.
///
/// ```yaml
/// reports:
///   directory: reports          # default; files weekly-2026-W48.{md,html,json}
///   webhook_url: null           # a Secret (Teams/Slack incoming webhook); unset: no POST
///   timeout: 10s                # per attempt
///   max_attempts: 5
///   retry_delay: 10s            # before the 2nd attempt; doubles after each failure
/// ```
/// Every key is encoded (`webhook_url` as `null` when unset, `<redacted>` when set), so
/// re-encoding shows unknown keys.
public struct ReportsConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Where report files are written; relative paths are from the working directory. Default `reports`.
    public var directory = "reports"
    /// Where the JSON report is POSTed; nil (default): nowhere. A secret: logs show scheme and host only.
    public var webhookURL: Secret?
    /// The longest one POST may take. Default `10s`.
    public var timeout = ConfigDuration.seconds(10)
    /// How many times a POST is tried before the run fails. Default 5.
    public var maxAttempts = 5
    /// The wait before the second attempt; each further wait doubles (capped at `maximumDelay`). Default `10s`.
    public var retryDelay = ConfigDuration.seconds(10)

    /// The allowed `max_attempts`.
    public static let allowedAttempts = 1...20
    /// The longest wait between two attempts, however many doublings.
    public static let maximumDelay = ConfigDuration.seconds(3_600)

    /// The longest a failing webhook may be tried, waits included. The scheduler runs one job at
    /// a time, so while `weekly-report` retries, the other jobs wait; the defaults take 3m20s.
    public static let longestDelivery = ConfigDuration.seconds(1_800)

    /// How long a webhook that never answers is tried: every attempt's `timeout` plus the waits
    /// between them. `max_attempts` is capped at `allowedAttempts` here, so an invalid value
    /// (reported by `problems()`) cannot make the sum overflow.
    public var worstCaseDelivery: Duration {
        WebhookRetry(maxAttempts: min(maxAttempts, Self.allowedAttempts.upperBound), retryDelay: retryDelay.duration)
            .longestDelivery(timeout: timeout.duration)
    }

    public init() {}

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case directory
        case webhookURL = "webhook_url"
        case timeout
        case maxAttempts = "max_attempts"
        case retryDelay = "retry_delay"
    }

    public init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        directory = try container.decodeIfPresent(String.self, forKey: .directory) ?? defaults.directory
        webhookURL = try container.decodeIfPresent(Secret.self, forKey: .webhookURL)
        timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .timeout) ?? defaults.timeout
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? defaults.maxAttempts
        retryDelay = try container.decodeIfPresent(ConfigDuration.self, forKey: .retryDelay) ?? defaults.retryDelay
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(directory, forKey: .directory)
        try container.encode(webhookURL, forKey: .webhookURL)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(maxAttempts, forKey: .maxAttempts)
        try container.encode(retryDelay, forKey: .retryDelay)
    }

    /// Every value decoding cannot judge, with its key path under `reports`.
    public func problems() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if directory.isEmpty || directory.contains("\0") {
            problems.append(ConfigurationProblem("directory", "give a directory for the report files, such as reports or /var/lib/trackingproxy/reports"))
        }
        if let webhookURL, WebhookAddress(webhookURL.value) == nil {
            problems.append(ConfigurationProblem("webhook_url", "the webhook URL is not an http:// or https:// URL with a host: give the incoming webhook's full URL"))
        }
        if timeout < .milliseconds(1) || timeout > .seconds(600) {
            problems.append(ConfigurationProblem("timeout", "\(timeout) is not allowed: give 1ms to 600s"))
        }
        if !Self.allowedAttempts.contains(maxAttempts) {
            problems.append(ConfigurationProblem("max_attempts", "\(maxAttempts) is not allowed: give \(Self.allowedAttempts.lowerBound) to \(Self.allowedAttempts.upperBound)"))
        }
        if retryDelay > Self.maximumDelay {
            problems.append(ConfigurationProblem("retry_delay", "\(retryDelay) is not allowed: give at most \(Self.maximumDelay)"))
        }
        if problems.isEmpty, worstCaseDelivery > Self.longestDelivery.duration {
            problems.append(ConfigurationProblem(
                "max_attempts",
                "\(maxAttempts) attempts with timeout \(timeout) and retry_delay \(retryDelay) (doubling) try a failing webhook for up to \(worstCaseDelivery.components.seconds)s, while the other scheduled jobs wait: keep it within \(Self.longestDelivery) (fewer attempts, or a shorter retry_delay or timeout)"))
        }
        return problems
    }
}
