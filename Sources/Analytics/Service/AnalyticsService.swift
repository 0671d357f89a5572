import ConfigValues
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The analytics service of `trackingproxy analytics serve`, built from a configuration: one per
/// deployment, reading the PostgreSQL the sidecars write. It serves the analytics API and the
/// dashboard on its own listener and runs the scheduled jobs (`JobScheduler`). It shares no process
/// with a sidecar: killing it changes nothing for proxied requests, and the reverse.
///
/// The command and the tests build it with the same initialiser.
package struct AnalyticsService: Sendable {
    /// The read connections of the API; closed by `run` when the service group returns.
    let pool: ConnectionPool
    let server: AnalyticsServer
    let scheduler: JobScheduler
    let logger: Logger

    /// - Parameters:
    ///   - analytics: the `analytics` section: listener, limits, tokens.
    ///   - retention: the `retention` section: the age the activity-retention job prunes at.
    ///   - jobs: the `jobs` section: the jobs' schedules and figures.
    ///   - reports: the `reports` section: where the weekly-report job writes and posts.
    ///   - clock: the scheduler's clock (tests set "Sunday 03:00").
    ///   - databaseURL: `ingest.database.url`, the database the sidecars write (nil: the `PG*` variables).
    ///   - registry: where `/metrics` reads from; the caller bootstraps `MetricsSystem` with it.
    ///   - onListening: called with the bound port (port 0 picks one).
    package init(
        analytics: AnalyticsConfiguration, retention: RetentionConfiguration, jobs: JobsConfiguration = JobsConfiguration(),
        reports: ReportsConfiguration = ReportsConfiguration(), databaseURL: Secret?, registry: PrometheusCollectorRegistry, clock: JobClock = .system,
        logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        let pool = ConnectionPool(url: databaseURL, logger: logger)
        let startedAt = ContinuousClock.now
        let api = AnalyticsAPI(
            configuration: analytics, pool: pool,
            runtimeFigures: { RuntimeFigures(uptimeSeconds: Double((ContinuousClock.now - startedAt).components.seconds)) },
            jobs: jobs, retention: retention, logger: logger, now: clock.now)
        self.pool = pool
        self.server = AnalyticsServer(configuration: analytics, api: api, registry: registry, logger: logger, onListening: onListening)
        let runner = JobRunner(jobs: jobs, retention: retention, reports: reports, databaseURL: databaseURL, metrics: JobMetrics(registry: registry), logger: logger)
        self.scheduler = JobScheduler(runner: runner, configuration: jobs, clock: clock, logger: logger)
        self.logger = logger
    }

    /// The service's parts in start order; graceful shutdown runs in reverse: the listener stops,
    /// a job in progress finishes, then the read connections close.
    package func makeServiceGroup(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) -> ServiceGroup {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: PoolCloser(pool: pool))]
        services.append(.init(service: scheduler))
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
