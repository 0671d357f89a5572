import Analytics
import ArgumentParser
import ConfigValues
import DeploymentConfiguration
import Foundation
import Logging

extension Job: ExpressibleByArgument {}

/// How `jobs list` and `jobs run` print.
enum JobsFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

/// What the jobs commands read: the configuration file (`jobs`, `retention`, `ingest.database`)
/// and the database flag over it.
struct JobsOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (reads jobs, retention, reports and ingest.database). Without it, defaults apply.")
    var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL: a libpq conninfo string or postgresql:// URI (default: ingest.database.url, else the PG* variables).")
    var databaseURL: String?

    @Option(name: .long, help: "Output: \(JobsFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: JobsFormat = .text

    /// The effective configuration (flag > environment > file > default).
    func load() throws -> ProxyConfiguration {
        let overrides = ConfigurationOptions.overrides(
            environment: ProcessInfo.processInfo.environment,
            flags: [(databaseURL.map(ConfigurationOverride.quoted), "database-url", ["ingest", "database", "url"])])
        return try ConfigurationLoader<ProxyConfiguration>().load(path: config, overrides: overrides)
    }

    /// A runner for `configuration`, logging warnings to standard error.
    func runner(_ configuration: ProxyConfiguration) -> JobRunner {
        var logger = Logger(label: "trackingproxy.jobs")
        logger.logLevel = .warning
        return JobRunner(jobs: configuration.jobs, retention: configuration.retention, reports: configuration.reports, databaseURL: configuration.ingest.database.url,
                         metrics: nil, logger: logger)
    }
}
