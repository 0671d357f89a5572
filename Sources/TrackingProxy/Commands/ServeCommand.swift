import ActivityRules
import ArgumentParser
import Ingest
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// `trackingproxy serve`: runs the proxy and its admin listener until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy in front of the upstream application, with the admin listener beside it."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.load()
        let level = Logger.Level(rawValue: configuration.log.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "trackingproxy")
        logger.info("effective configuration:\n\(ConfigurationLoader<ProxyConfiguration>.render(configuration))")

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let threads = configuration.threads == 0 ? System.coreCount : configuration.threads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let outcome: Result<Void, any Error>
        do {
            try await Self.runServices(configuration: configuration, group: group, registry: registry, logger: logger)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // Everything that used the event loops is released by now (it lived in `runServices`), so
        // nothing schedules work on them while they shut down.
        try? await group.shutdownGracefully()
        if case .failure(let error) = outcome {
            if error is ExitCode { throw error }
            logger.error("stopped with an error", metadata: ["error.message": "\(error)"])
            throw ExitCode.failure
        }
        logger.info("stopped")
    }

    /// Builds the proxy, the admin listener and their helpers, and runs them until SIGTERM/SIGINT.
    private static func runServices(
        configuration: ProxyConfiguration, group: MultiThreadedEventLoopGroup, registry: PrometheusCollectorRegistry, logger: Logger
    ) async throws {
        let upstreamAddress: SocketAddress
        do {
            upstreamAddress = try SocketAddress.makeAddressResolvingHost(configuration.upstream.url.host, port: configuration.upstream.url.port)
        } catch {
            throw ValidationError("upstream.url: cannot resolve \(configuration.upstream.url.host): \(error)")
        }
        let policy: TrackingPolicy
        do {
            policy = try TrackingPolicy(configuration: configuration.tracking)
        } catch {
            print(error.rendered)
            throw ExitCode.failure
        }
        RulesReloader.markActive(hash: policy.rules.hash, previous: nil)
        logger.info("rules loaded", metadata: [
            "rules.file": "\(configuration.tracking.rulesFile)", "rules.hash": "\(policy.rules.hash)", "rules.count": "\(policy.rules.count)",
        ])
        let writer = ActivityWriter(configuration: configuration.ingest, version: TrackingProxyVersion.current, logger: logger)
        let tracker = ActivityTracker(policy: policy) { envelope in
            logger.debug("activity", metadata: envelope.logMetadata)
            writer.record(envelope.record)
        }
        let clientIP = policy.clientIP
        let context = ProxyContext(configuration: configuration, tracker: tracker, logger: logger) { clientIP.isTrusted(peer: $0) }
        let server = ProxyServer(configuration: configuration, upstreamAddress: upstreamAddress, group: group, context: context)
        let proxy = ProxyService(server: server, gracePeriod: configuration.shutdown.gracePeriod.duration) { address in
            logger.info("proxy listening", metadata: ["server.address": "\(address)", "upstream": "\(configuration.upstream.url)"])
        }
        let startedAt = ContinuousClock.now
        let analyticsPool = ConnectionPool(url: configuration.ingest.database.url, logger: logger)
        let metrics = context.metrics
        let analytics = AnalyticsAPI(
            configuration: configuration.analytics, pool: analyticsPool,
            runtimeFigures: {
                let ingest = writer.status()
                return RuntimeFigures(
                    queueDepth: ingest.queueDepth, spoolBytes: Int64(ingest.spoolBytes), errorRate: metrics.errorRate,
                    uptimeSeconds: Double((ContinuousClock.now - startedAt).components.seconds))
            },
            logger: logger)
        var admin = AdminServer(
            listen: configuration.admin.listen,
            idleTimeout: configuration.admin.idleTimeout.duration, maxConnections: configuration.admin.maxConnections, registry: registry,
            probe: UpstreamProbe(address: upstreamAddress, group: group), logger: logger
        ) {
            let rules = tracker.currentPolicy.rules
            return AdminStatus(
                uptimeSeconds: Int((ContinuousClock.now - startedAt).components.seconds),
                proxy: .init(openConnections: server.openConnectionCount, upstream: configuration.upstream.url.description),
                rules: .init(file: rules.file, hash: rules.hash, count: rules.count),
                ingest: writer.status())
        }
        admin.analytics = analytics
        let adminApplication = admin.makeApplication()

        // Daily pruning, when `retention.days` is set.
        let retention: [ServiceGroupConfiguration.ServiceConfiguration] =
            configuration.retention.days == nil
            ? [] : [.init(service: RetentionService(configuration: configuration.retention, databaseURL: configuration.ingest.database.url, logger: logger))]
        let services = ServiceGroup(
            configuration: .init(
                // Graceful shutdown runs in reverse order: the admin listener stops, the proxy drains
                // its in-flight requests (recording their activities), then the writer flushes.
                services: [
                    .init(service: writer),
                    .init(service: RulesReloader(path: configuration.tracking.rulesFile, tracker: tracker, logger: logger)),
                ] + retention + [
                    .init(service: proxy), .init(service: adminApplication),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        do {
            try await services.run()
        } catch {
            await analyticsPool.close()
            throw error
        }
        await analyticsPool.close()
    }
}
