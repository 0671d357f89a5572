import ConfigValues
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The analytics service of `trackingproxy analytics serve`, built from a configuration: one per
/// deployment, reading the PostgreSQL the sidecars write. It serves the analytics API and the
/// dashboard on its own listener and runs the scheduled jobs (retention). It shares no process
/// with a sidecar: killing it changes nothing for proxied requests, and the reverse.
///
/// The command and the tests build it with the same initialiser.
package struct AnalyticsService: Sendable {
    /// The read connections of the API; closed by `run` when the service group returns.
    let pool: ConnectionPool
    let server: AnalyticsServer
    let retention: RetentionConfiguration
    let databaseURL: Secret?
    let logger: Logger

    /// - Parameters:
    ///   - analytics: the `analytics` section: listener, limits, tokens.
    ///   - retention: the `retention` section: the prune job's schedule.
    ///   - databaseURL: `ingest.database.url`, the database the sidecars write (nil: the `PG*` variables).
    ///   - registry: where `/metrics` reads from; the caller bootstraps `MetricsSystem` with it.
    ///   - onListening: called with the bound port (port 0 picks one).
    package init(
        analytics: AnalyticsConfiguration, retention: RetentionConfiguration, databaseURL: Secret?, registry: PrometheusCollectorRegistry,
        logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        let pool = ConnectionPool(url: databaseURL, logger: logger)
        let startedAt = ContinuousClock.now
        let api = AnalyticsAPI(
            configuration: analytics, pool: pool,
            runtimeFigures: { RuntimeFigures(uptimeSeconds: Double((ContinuousClock.now - startedAt).components.seconds)) },
            logger: logger)
        self.pool = pool
        self.server = AnalyticsServer(configuration: analytics, api: api, registry: registry, logger: logger, onListening: onListening)
        self.retention = retention
        self.databaseURL = databaseURL
        self.logger = logger
    }

    /// The service's parts in start order; graceful shutdown runs in reverse: the listener stops,
    /// a job in progress finishes, then the read connections close.
    package func makeServiceGroup(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) -> ServiceGroup {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: PoolCloser(pool: pool))]
        if retention.days != nil {
            services.append(.init(service: RetentionService(configuration: retention, databaseURL: databaseURL, logger: logger)))
        }
        services.append(.init(service: server.makeApplication()))
        return ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: gracefulShutdownSignals, cancellationSignals: [], logger: logger))
    }
}

/// Closes the pool's connections once the service group shuts down (it runs first, so it stops last).
private struct PoolCloser: Service {
    let pool: ConnectionPool

    func run() async throws {
        // Cancellation (not graceful shutdown) also ends the wait; either way, close.
        try? await gracefulShutdown()
        await pool.close()
    }
}
