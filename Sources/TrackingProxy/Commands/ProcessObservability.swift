import ConfigValues
import DeploymentConfiguration
import Logging
import Metrics
import Prometheus

/// A server process's logging and metrics, bootstrapped once at its start from `log.level`.
struct ProcessObservability {
    let logger: Logger
    /// What the process's `/metrics` serves.
    let registry: PrometheusCollectorRegistry

    init(configuration: ProxyConfiguration, label: String) {
        let level = Logger.Level(rawValue: configuration.log.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        logger = Logger(label: label)
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
