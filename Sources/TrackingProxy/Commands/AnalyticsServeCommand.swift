import ConfigValues
import Analytics
import ArgumentParser
import DeploymentConfiguration
import Foundation
import Logging

/// `trackingproxy analytics serve`: the analytics API, dashboard and jobs until SIGTERM/SIGINT.
struct AnalyticsServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the analytics service (API, dashboard, scheduled jobs) on its own listener, reading the sidecars' PostgreSQL."
    )

    @Option(name: .long, help: "YAML configuration file (the sidecar's; this reads analytics, retention, jobs, ingest.database and log).")
    var config: String?

    @Option(name: .long, help: "Where the API and dashboard are served, HOST:PORT (default 127.0.0.1:9100).")
    var listen: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL: a libpq conninfo string or postgresql:// URI (default: the PG* variables).")
    var databaseURL: String?

    @Option(name: .customLong("log-level"), help: "One of \(LogConfiguration.levels.joined(separator: ", ")) (default info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "One of \(LogConfiguration.Format.allCases.map(\.rawValue).joined(separator: ", ")) (default text; auto: json when stderr is not a terminal).")
    var logFormat: String?

    func run() async throws {
        let overrides = ConfigurationOptions.overrides(
            environment: ProcessInfo.processInfo.environment,
            flags: [
                (listen, "listen", ["analytics", "listen"]),
                (databaseURL.map(ConfigurationOverride.quoted), "database-url", ["ingest", "database", "url"]),
                (logLevel, "log-level", ["log", "level"]),
                (logFormat, "log-format", ["log", "format"]),
            ])
        var loaded = try ConfigurationLoader<ProxyConfiguration>(readsNamedFiles: true).load(path: config, overrides: overrides)
        // From here on only the tokens' digests are kept (and compared: TokenBook).
        loaded.analytics = loaded.analytics.withTokensAsDigests()
        let configuration = loaded
        let process = ProcessObservability(configuration: configuration, label: "trackingproxy.analytics")
        let logger = process.logger
        logger.info("effective configuration:\n\(ConfigurationLoader<ProxyConfiguration>.render(configuration))")
        if configuration.analytics.allTokens.isEmpty {
            logger.warning("analytics.tokens and analytics.tokens_file give no token: every API and dashboard request gets 401; add a token (openssl rand -hex 24)")
        }
        let service = AnalyticsService(
            analytics: configuration.analytics, retention: configuration.retention, jobs: configuration.jobs,
            reports: configuration.reports, databaseURL: configuration.ingest.database.url,
            registry: process.registry, logger: logger
        ) { port in
            logger.info("analytics listening", metadata: ["server.address": "\(configuration.analytics.listen.host):\(port)"])
        }
        do {
            try await service.makeServiceGroup().run()
        } catch {
            logger.error("stopped with an error", metadata: ["error.message": "\(error)"])
            throw ExitCode.failure
        }
        logger.info("stopped")
    }
}
