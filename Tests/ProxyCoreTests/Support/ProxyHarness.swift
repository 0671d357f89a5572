import ConfigValues
import NIOCore
import NIOPosix

@testable import ProxyCore

/// A `ProxyServer` on `127.0.0.1:0` (its own event loop group) in front of a `TestUpstream`, built
/// the way `Sidecar` builds it, with a configuration the test can tweak.
final class ProxyHarness {
    /// What stands behind the proxy.
    enum Backend {
        /// A fresh `TestUpstream`.
        case upstream
        /// A reserved port that refuses connections (502 cases).
        case closedPort
    }

    /// Nil once shut down.
    private(set) var server: ProxyServer?
    let port: Int
    /// The upstream, unless the backend is a closed port.
    let upstream: TestUpstream?
    /// Held open so that the closed port stays reserved while the proxy runs.
    private let refusingPort: RefusingPort?
    let group: MultiThreadedEventLoopGroup
    /// The loop group for raw clients (the upstream's when there is one).
    let clientGroup: MultiThreadedEventLoopGroup
    /// The proxy's per-loop traffic counters, when the test asked for them (`countsTraffic`).
    let traffic: TrafficCounters?

    /// Starts the proxy, runs `body`, then shuts everything down, also when `body` throws.
    static func run<T>(
        backend: Backend = .upstream, trustPeers: Bool = false, tracker: ActivityTracker? = nil,
        countsTraffic: Bool = false,
        configure: (inout SidecarConfiguration) -> Void = { _ in },
        _ body: (ProxyHarness) async throws -> T
    ) async throws -> T {
        let harness = try await start(backend: backend, trustPeers: trustPeers, tracker: tracker, countsTraffic: countsTraffic, configure: configure)
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }

    static func start(
        backend: Backend, trustPeers: Bool, tracker: ActivityTracker? = nil, countsTraffic: Bool = false,
        configure: (inout SidecarConfiguration) -> Void
    ) async throws -> ProxyHarness {
        let upstream: TestUpstream?
        let upstreamPort: Int
        var refusingPort: RefusingPort?
        let clientGroup: MultiThreadedEventLoopGroup
        switch backend {
        case .upstream:
            let started = try await TestUpstream.start()
            upstream = started
            upstreamPort = started.port
            clientGroup = started.group
        case .closedPort:
            upstream = nil
            clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            refusingPort = try RefusingPort()
            upstreamPort = refusingPort!.port
        }

        var configuration = SidecarConfiguration()
        configuration.listen = HostPort(host: "127.0.0.1", port: 0)
        configuration.upstream.url = UpstreamURL(host: "127.0.0.1", port: upstreamPort)
        configure(&configuration)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let traffic = countsTraffic ? TrafficCounters(group: group) : nil
        // The data path exactly as `Sidecar` builds it for `serve`; only the peer trust is the test's.
        let server = Sidecar.makeProxyServer(
            configuration: configuration, upstreamAddress: try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort), group: group,
            tracker: tracker, logger: .init(label: "trackingproxy.test"), isTrustedPeer: { _ in trustPeers }, traffic: traffic)
        let address = try await server.start()
        return ProxyHarness(
            server: server, port: address.port!, upstream: upstream, refusingPort: refusingPort, group: group, clientGroup: clientGroup,
            traffic: traffic)
    }

    private init(
        server: ProxyServer, port: Int, upstream: TestUpstream?, refusingPort: RefusingPort?, group: MultiThreadedEventLoopGroup,
        clientGroup: MultiThreadedEventLoopGroup, traffic: TrafficCounters?
    ) {
        self.traffic = traffic
        self.server = server
        self.refusingPort = refusingPort
        self.port = port
        self.upstream = upstream
        self.group = group
        self.clientGroup = clientGroup
    }

    /// The upstream; fails the test's precondition when the backend has none.
    var backend: TestUpstream {
        guard let upstream else { preconditionFailure("this harness runs without an upstream") }
        return upstream
    }

    /// A new raw client connection to the proxy.
    func connect() async throws -> RawClient {
        try await RawClient.connect(port: port, group: clientGroup)
    }

    func shutdown() async {
        if let server {
            await server.shutdown(gracePeriod: .seconds(5))
        }
        // The server goes before its loops: its quiescing helper completes a promise on them when
        // deinitialised, which NIO reports as an error once they are shut down.
        server = nil
        try? await group.shutdownGracefully()
        if let upstream {
            await upstream.shutdown()
        } else {
            try? await clientGroup.shutdownGracefully()
        }
    }
}
