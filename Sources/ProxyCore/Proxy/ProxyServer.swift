import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix

/// The client-facing listener: accepts connections and gives each its pipeline
/// (timeouts → HTTP codec → `ProxyServerHandler`).
///
/// `start()` binds and returns the bound address (port 0 picks a free port); `shutdown` stops
/// accepting, lets in-flight requests finish within a grace period, then closes the rest.
/// Thread-safe: its state is immutable or behind locks and atomics.
final class ProxyServer: Sendable {
    let configuration: SidecarConfiguration
    let context: ProxyContext
    private let group: any EventLoopGroup
    private let upstreamAddress: SocketAddress
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool?>]
    private let openConnections = ManagedAtomic<Int>(0)
    private let quiescing: ServerQuiescingHelper
    private let serverChannel = NIOLockedValueBox<(any Channel)?>(nil)

    init(configuration: SidecarConfiguration, upstreamAddress: SocketAddress, group: any EventLoopGroup, context: ProxyContext) {
        self.configuration = configuration
        self.context = context
        self.group = group
        self.upstreamAddress = upstreamAddress
        self.quiescing = ServerQuiescingHelper(group: group)
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool?>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: UpstreamPool.self, eventLoop: loop)
        }
        self.pools = pools
    }

    /// Client connections open now.
    var openConnectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Binds the listener and starts accepting. Returns the bound address.
    func start() async throws -> SocketAddress {
        let limits = configuration.client
        let maxConnections = limits.maxConnections
        // The initializer captures values, never `self`: a server retained by its own accept
        // handler would outlive the event loops it was built on.
        let quiescing = self.quiescing
        let context = self.context
        let openConnections = self.openConnections
        let pools = self.pools
        let upstreamAddress = self.upstreamAddress
        let upstreamConfiguration = configuration.upstream

        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let metrics = context.metrics
                    guard openConnections.wrappingIncrementThenLoad(ordering: .relaxed) <= maxConnections else {
                        openConnections.wrappingDecrement(ordering: .relaxed)
                        metrics.countRejection("connection_limit")
                        channel.close(promise: nil)
                        return
                    }
                    metrics.openConnections.increment()
                    channel.closeFuture.whenComplete { _ in
                        openConnections.wrappingDecrement(ordering: .relaxed)
                        metrics.openConnections.decrement()
                    }
                    let address = Self.peerAddress(of: channel)
                    let peer = HeaderRewriter.Peer(address: address, isTrusted: context.isTrustedPeer(address))
                    let pool = Self.pool(for: channel.eventLoop, in: pools, address: upstreamAddress, configuration: upstreamConfiguration)
                    try Self.addHandlers(to: channel, limits: limits, context: context, pool: pool, peer: peer)
                }
            }
            .bind(host: configuration.listen.host, port: configuration.listen.port)
            .get()
        serverChannel.withLockedValue { $0 = channel }
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return address
    }

    /// Stops accepting, asks every connection to close after its current response, waits for them
    /// up to `gracePeriod`, then closes the upstream pools. Connections still open after the grace
    /// period are closed when the event loop group shuts down.
    func shutdown(gracePeriod: Duration) async {
        let promise = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: promise)
        let drained = promise.futureResult
        let deadline = group.next().scheduleTask(in: TimeAmount(gracePeriod)) {}
        let finished = group.next().makePromise(of: Void.self)
        drained.cascade(to: finished)
        deadline.futureResult.whenSuccess { finished.succeed() }
        try? await finished.futureResult.get()
        deadline.cancel()
        serverChannel.withLockedValue { $0 = nil }
        for loop in group.makeIterator() {
            guard let box = pools[ObjectIdentifier(loop)] else { continue }
            try? await loop.submit { box.value?.close() }.get()
        }
        context.logger.info("proxy listener stopped", metadata: ["connections.open": "\(openConnectionCount)"])
    }

    /// The pipeline of a client connection: timeouts → HTTP codec → `ProxyServerHandler`.
    static func addHandlers(
        to channel: any Channel, limits: ClientConfiguration, context: ProxyContext, pool: UpstreamPool, peer: HeaderRewriter.Peer
    ) throws {
        let metrics = context.metrics
        let timeouts = ClientTimeoutHandler(
            idleTimeout: .nanoseconds(limits.idleTimeout.nanoseconds),
            requestHeadTimeout: .nanoseconds(limits.requestHeadTimeout.nanoseconds),
            responseHeadTimeout: context.responseHeadTimeout,
            bodyTimeout: .nanoseconds(limits.bodyTimeout.nanoseconds),
            sendTimeout: .nanoseconds(limits.sendTimeout.nanoseconds)
        ) {
            metrics.countRejection("request_head_timeout")
        }
        var encoderConfiguration = HTTPResponseEncoder.Configuration()
        encoderConfiguration.automaticallySetFramingHeaders = false  // the proxy frames each response itself
        let encoder = HTTPResponseEncoder(configuration: encoderConfiguration)
        // The buffer bound is a backstop: after an upgrade request the decoder keeps what it reads
        // (the handler stops reading then), and one read cycle brings at most 16 × 64 KiB.
        let headLimits = decoderLimits(limits)
        let decoder = ByteToMessageHandler(
            HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, limitConfiguration: headLimits),
            maximumBufferSize: headLimits.maxHeaderListSize + (2 << 20))
        let handler = ProxyServerHandler(
            shared: context, pool: pool, timeouts: timeouts, peer: peer, httpHandlers: [encoder, decoder],
            traffic: context.traffic?.counters(for: channel.eventLoop), activityRows: context.tracker?.rows(for: channel.eventLoop))
        try channel.pipeline.syncOperations.addHandlers([timeouts, encoder, decoder, handler])
    }

    /// The decoder's own ceiling sits above ours so that our check (and its 431 or 414) decides;
    /// a head far beyond even this is cut off by the decoder as a header overflow, also 431.
    private static func decoderLimits(_ limits: ClientConfiguration) -> NIOHTTPDecoderLimitConfiguration {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes.bytes + limits.maxURLBytes.bytes + 1024
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes.bytes + limits.maxURLBytes.bytes + 1024
        return decoderLimits
    }

    /// The event loop's upstream pool, created on first use. Call on `eventLoop`.
    private static func pool(
        for eventLoop: any EventLoop, in pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool?>], address: SocketAddress,
        configuration: UpstreamConfiguration
    ) -> UpstreamPool {
        guard let box = pools[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("a child channel runs on an event loop outside the server's group")
        }
        if let pool = box.value { return pool }
        let pool = UpstreamPool(eventLoop: eventLoop, address: address, configuration: configuration)
        box.value = pool
        return pool
    }

    /// The peer's IP address as text; IPv4-mapped IPv6 addresses are written as IPv4.
    static func peerAddress(of channel: any Channel) -> String {
        guard let ip = channel.remoteAddress?.ipAddress else { return "unknown" }
        if ip.hasPrefix("::ffff:"), ip.contains(".") { return String(ip.dropFirst(7)) }
        return ip
    }
}
