import ConfigValues
import DeploymentConfiguration
import Logging
import Metrics
import Prometheus

/// A server process's logging and metrics, bootstrapped once at its start from `log.level` and
/// `log.format`.
struct ProcessObservability {
    let logger: Logger
    /// What the process's `/metrics` serves.
    let registry: PrometheusCollectorRegistry

    init(configuration: ProxyConfiguration, label: String) {
        let level = Logger.Level(rawValue: configuration.log.level) ?? .info
        let json = Self.writesJSON(configuration.log.resolvedFormat, stderrIsTerminal: StandardErrorLines.isTerminal)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                json ? JSONLogHandler(label: label, sink: StandardErrorLines.emit) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        logger = Logger(label: label)
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Whether `format` means JSON lines: `json` always, `auto` when standard error is not a terminal.
    static func writesJSON(_ format: LogConfiguration.Format, stderrIsTerminal: Bool) -> Bool {
        switch format {
        case .text: false
        case .json: true
        case .auto: !stderrIsTerminal
        }
    }
}
