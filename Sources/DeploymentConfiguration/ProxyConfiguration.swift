import ActivityRules
import Analytics
import ConfigValues
import Ingest
import ProxyCore

/// The whole configuration file, nested like the YAML: what `trackingproxy serve` (the sidecar)
/// and `trackingproxy analytics serve` read; each uses its sections. Every key is documented in
/// `docs/configuration.md`, which `ConfigurationReferenceTests` keeps in step with these types.
///
/// Every field has a default, so an empty file is a valid configuration. Keys are snake_case in
/// YAML. Unknown keys are rejected by `ConfigurationLoader`, which also applies environment
/// variables and flags on top of the file (flag > environment > file > default).
package struct ProxyConfiguration: Codable, Sendable, Equatable, ConfigurationSection {
    /// Where the proxy accepts client connections. Default `127.0.0.1:8080`.
    package var listen = HostPort(host: "127.0.0.1", port: 8080)
    /// The application the proxy stands in front of.
    package var upstream = UpstreamConfiguration()
    /// Limits and timeouts that protect the proxy from its clients.
    package var client = ClientConfiguration()
    /// The admin listener: health, readiness and metrics.
    package var admin = AdminConfiguration()
    /// How the proxy stops.
    package var shutdown = ShutdownConfiguration()
    /// Logging.
    package var log = LogConfiguration()
    /// How many event loop threads serve connections. `0` (default) means one per CPU core.
    package var threads = 0
    /// Which requests are activities, the client IP, identity and privacy (module ActivityRules).
    package var tracking = TrackingConfiguration()
    /// Where and how activities are stored: PostgreSQL, queue, batches, spool (module Ingest).
    package var ingest = IngestConfiguration()
    /// The analytics service (`analytics serve`): its listener, and who may read its API and dashboard.
    package var analytics = AnalyticsConfiguration()
    /// How long activities are kept (the analytics service prunes when `retention.days` is set).
    package var retention = RetentionConfiguration()
    /// When the analytics service runs its scheduled jobs (retention, rollups).
    package var jobs = JobsConfiguration()
    /// Where the weekly-report job writes the report, and the webhook it posts to.
    package var reports = ReportsConfiguration()

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, upstream, client, admin, shutdown, log, threads, tracking, ingest, analytics, retention, jobs, reports
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decodeIfPresent(HostPort.self, forKey: .listen) ?? defaults.listen
        upstream = try container.decodeIfPresent(UpstreamConfiguration.self, forKey: .upstream) ?? defaults.upstream
        client = try container.decodeIfPresent(ClientConfiguration.self, forKey: .client) ?? defaults.client
        admin = try container.decodeIfPresent(AdminConfiguration.self, forKey: .admin) ?? defaults.admin
        shutdown = try container.decodeIfPresent(ShutdownConfiguration.self, forKey: .shutdown) ?? defaults.shutdown
        log = try container.decodeIfPresent(LogConfiguration.self, forKey: .log) ?? defaults.log
        threads = try container.decodeIfPresent(Int.self, forKey: .threads) ?? defaults.threads
        tracking = try container.decodeIfPresent(TrackingConfiguration.self, forKey: .tracking) ?? defaults.tracking
        ingest = try container.decodeIfPresent(IngestConfiguration.self, forKey: .ingest) ?? defaults.ingest
        analytics = try container.decodeIfPresent(AnalyticsConfiguration.self, forKey: .analytics) ?? defaults.analytics
        retention = try container.decodeIfPresent(RetentionConfiguration.self, forKey: .retention) ?? defaults.retention
        jobs = try container.decodeIfPresent(JobsConfiguration.self, forKey: .jobs) ?? defaults.jobs
        reports = try container.decodeIfPresent(ReportsConfiguration.self, forKey: .reports) ?? defaults.reports
    }

    /// Every section's problems under its key; `ConfigurationLoader` reports them located in the file.
    package func problems() -> [ConfigurationProblem] {
        sidecar.problems() + log.problems().under("log") + analytics.problems().under("analytics")
            + retention.problems().under("retention") + jobs.problems().under("jobs")
            + reports.problems().under("reports")
    }

    /// The sections the sidecar (`serve`) is built from.
    package var sidecar: SidecarConfiguration {
        get {
            var sidecar = SidecarConfiguration()
            (sidecar.listen, sidecar.upstream, sidecar.client, sidecar.admin) = (listen, upstream, client, admin)
            (sidecar.shutdown, sidecar.threads, sidecar.tracking, sidecar.ingest) = (shutdown, threads, tracking, ingest)
            return sidecar
        }
        set {
            (listen, upstream, client, admin) = (newValue.listen, newValue.upstream, newValue.client, newValue.admin)
            (shutdown, threads, tracking, ingest) = (newValue.shutdown, newValue.threads, newValue.tracking, newValue.ingest)
        }
    }
}
