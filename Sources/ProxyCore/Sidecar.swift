import ActivityRules
import Ingest
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import TokenVerification
import UnixSignals

/// The sidecar of `trackingproxy serve`, built from a configuration: the proxy data path, tracking,
/// the ingest writer with its spool, the rules reloader and the admin listener (`/healthz`,
/// `/readyz`, `/metrics`, `/status`). Nothing an analyst calls: that is the analytics service's.
///
/// `serve` and the end-to-end test harness build it with the same initialiser, so what the tests
/// run is what operators run.
package struct Sidecar: Sendable {
    /// The client-facing listener.
    let server: ProxyServer
    /// Where tracked requests' records go.
    package let writer: ActivityWriter
    let tracker: ActivityTracker
    /// The data path's per-event-loop counters, harvested into `system_metrics`.
    let traffic: TrafficCounters
    let adminServer: AdminServer
    /// The verified `jwt_claim` sources, whose keys `KeySetRefresher` loads.
    package let tokenReaders: [VerifiedTokenReader]
    let group: MultiThreadedEventLoopGroup
    let configuration: SidecarConfiguration
    let logger: Logger

    /// Builds every part; binds nothing yet (see `makeServiceGroup`).
    ///
    /// - Parameters:
    ///   - version: what the heartbeat rows say this sidecar runs.
    ///   - group: the event loops of the data path and the admin listener; the caller shuts it
    ///     down after the service group returned.
    ///   - registry: where `/metrics` reads from; the caller bootstraps `MetricsSystem` with it.
    ///   - onProxyListening: called with the proxy's bound address (port 0 picks one).
    ///   - onAdminListening: called with the admin listener's bound port.
    package init(
        configuration: SidecarConfiguration, version: String, group: MultiThreadedEventLoopGroup, registry: PrometheusCollectorRegistry,
        logger: Logger,
        onProxyListening: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        onAdminListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws(SidecarError) {
        let upstreamAddress: SocketAddress
        do {
            upstreamAddress = try SocketAddress.makeAddressResolvingHost(configuration.upstream.url.host, port: configuration.upstream.url.port)
        } catch {
            throw .upstreamUnresolvable(host: configuration.upstream.url.host, reason: "\(error)")
        }
        let policy: TrackingPolicy
        let readers = TokenReaders()
        do throws(RulesError) {
            policy = try TrackingPolicy(configuration: configuration.tracking, tokenReaders: readers.factory)
        } catch {
            throw .rules(error)
        }
        for warning in configuration.tracking.warnings() {
            logger.warning("configuration warning", metadata: ["config.key": "tracking.\(warning.keyPath)", "warning.message": "\(warning.message)"])
        }
        let tokenReaders = readers.verified
        RulesReloader.markActive(hash: policy.rules.hash, previous: nil)
        logger.info("rules loaded", metadata: [
            "rules.file": "\(configuration.tracking.rulesFile)", "rules.hash": "\(policy.rules.hash)", "rules.count": "\(policy.rules.count)",
        ])
        let writer = ActivityWriter(configuration: configuration.ingest, version: version, logger: logger)
        // The builder's delay (two intervals at most) adds to what `kill -9` can lose (one spool
        // sync interval): a tenth of it at most, and 2 ms for a sync interval under 20 ms (a
        // builder waking more often than every millisecond would cost more than it saves).
        let buildInterval = max(.milliseconds(1), min(.milliseconds(10), configuration.ingest.spool.syncInterval.duration / 20))
        let tracker = ActivityTracker(policy: policy, writer: writer, group: group, buildInterval: buildInterval, logger: logger)
        let traffic = TrafficCounters(group: group)
        let server = Self.makeProxyServer(
            configuration: configuration, upstreamAddress: upstreamAddress, group: group, tracker: tracker, logger: logger, traffic: traffic)
        let startedAt = ContinuousClock.now
        self.adminServer = AdminServer(
            listen: configuration.admin.listen, idleTimeout: configuration.admin.idleTimeout.duration,
            maxConnections: configuration.admin.maxConnections, registry: registry,
            probe: UpstreamProbe(address: upstreamAddress, group: group), logger: logger,
            identityKeys: { tokenReaders.map(\.keySetStatus) },
            status: {
                let rules = tracker.currentPolicy.rules
                return AdminStatus(
                    uptimeSeconds: Int((ContinuousClock.now - startedAt).components.seconds),
                    proxy: .init(openConnections: server.openConnectionCount, upstream: configuration.upstream.url.description),
                    rules: .init(file: rules.file, hash: rules.hash, count: rules.count),
                    identityKeys: tokenReaders.map(\.keySetStatus),
                    ingest: writer.status())
            },
            onListening: onAdminListening)
        self.server = server
        self.writer = writer
        self.tracker = tracker
        self.traffic = traffic
        self.tokenReaders = tokenReaders
        self.group = group
        self.configuration = configuration
        self.logger = logger
        self.onProxyListening = onProxyListening
    }

    private let onProxyListening: @Sendable (SocketAddress) -> Void

    /// The data path alone: the listener, its shared context and the upstream pools, with
    /// `tracker` deciding what is recorded (nil: nothing). `init` builds the sidecar's with it;
    /// data-path tests build theirs with it too.
    static func makeProxyServer(
        configuration: SidecarConfiguration, upstreamAddress: SocketAddress, group: any EventLoopGroup, tracker: ActivityTracker?,
        logger: Logger, isTrustedPeer: (@Sendable (String) -> Bool)? = nil, traffic: TrafficCounters? = nil
    ) -> ProxyServer {
        let clientIP = tracker?.currentPolicy.clientIP
        let trusted = isTrustedPeer ?? { peer in clientIP?.isTrusted(peer: peer) ?? false }
        let context = ProxyContext(configuration: configuration, tracker: tracker, logger: logger, isTrustedPeer: trusted, traffic: traffic)
        return ProxyServer(configuration: configuration, upstreamAddress: upstreamAddress, group: group, context: context)
    }

    /// The sidecar's services in a group (`makeServices()`'s order).
    package func makeServiceGroup(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: makeServices(),
                gracefulShutdownSignals: gracefulShutdownSignals,
                cancellationSignals: [],
                logger: logger))
    }

    /// The sidecar's services in start order; graceful shutdown runs in reverse: the admin
    /// listener stops, the proxy drains its in-flight requests (recording their activities), the
    /// activity builder builds the rows still waiting, then the writer flushes.
    func makeServices() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let configuration = configuration
        let logger = logger
        let onProxyListening = onProxyListening
        let proxy = ProxyService(server: server, gracePeriod: configuration.shutdown.gracePeriod.duration) { address in
            logger.info("proxy listening", metadata: ["server.address": "\(address)", "upstream": "\(configuration.upstream.url)"])
            onProxyListening(address)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: writer),
        ]
        // After the writer and before the proxy: builds the rows of the proxy's last requests
        // after it drained, before the writer flushes.
        if let builder = tracker.builder { services.append(.init(service: builder)) }
        services += [
            // After the writer: stops before it, handing it the last part-minute.
            .init(service: SystemMetricsRecorder(traffic: traffic, writer: writer, interval: configuration.ingest.systemMetricsInterval.duration)),
            .init(service: RulesReloader(path: configuration.tracking.rulesFile, tracker: tracker, logger: logger)),
        ]
        if !tokenReaders.isEmpty {
            services.append(.init(service: KeySetRefresher(readers: tokenReaders, eventLoopGroup: group, logger: logger)))
        }
        services += [.init(service: proxy), .init(service: adminServer.makeApplication())]
        return services
    }
}

/// Why a sidecar could not be built from its configuration.
public enum SidecarError: Error, CustomStringConvertible {
    /// `upstream.url`'s host does not resolve.
    case upstreamUnresolvable(host: String, reason: String)
    /// The rules file did not load; `RulesError.rendered` shows where and why.
    case rules(RulesError)

    public var description: String {
        switch self {
        case .upstreamUnresolvable(let host, let reason):
            "upstream.url: cannot resolve \(host): \(reason); give an address or a name this host resolves"
        case .rules(let error):
            error.rendered
        }
    }
}
