import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to the upstream for one event loop.
///
/// Each event loop has its own pool, so a request and its upstream connection always share a
/// thread: no locks, no thread hops. Idle connections are reused most recently used first and
/// closed after `idleTimeout`, or beyond `maxIdle`.
///
/// Threading: every method must be called on `eventLoop`.
final class UpstreamPool {
    let eventLoop: any EventLoop
    private let openChannel: (UpstreamPool) -> EventLoopFuture<any Channel>
    private let maxIdle: Int
    private let idleTimeout: TimeAmount
    private var idle: [UpstreamConnectionHandler] = []
    private var sweep: Scheduled<Void>?
    private var isClosed = false

    /// A pool whose connections are TCP connections to `address`.
    convenience init(eventLoop: any EventLoop, address: SocketAddress, configuration: UpstreamConfiguration) {
        let connectTimeout = TimeAmount.nanoseconds(configuration.connectTimeout.nanoseconds)
        self.init(eventLoop: eventLoop, configuration: configuration) { pool in
            ClientBootstrap(group: pool.eventLoop)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.maxMessagesPerRead, value: 16)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try Self.addHandlers(to: channel) }
                }
                .connect(to: address)
        }
    }

    /// A pool whose connections `openChannel` opens, each with `addHandlers(to:)` applied and
    /// on `eventLoop`. The request-path fuzz target opens `EmbeddedChannel`s this way.
    init(eventLoop: any EventLoop, configuration: UpstreamConfiguration, openChannel: @escaping (UpstreamPool) -> EventLoopFuture<any Channel>) {
        self.eventLoop = eventLoop
        self.openChannel = openChannel
        self.maxIdle = configuration.maxIdleConnections
        self.idleTimeout = .nanoseconds(configuration.idleConnectionTimeout.nanoseconds)
    }

    /// The handlers of an upstream connection's pipeline.
    static func addHandlers(to channel: any Channel) throws {
        var encoderConfiguration = HTTPRequestEncoder.Configuration()
        encoderConfiguration.automaticallySetFramingHeaders = false  // the proxy frames each request itself
        let sync = channel.pipeline.syncOperations
        // Order matters: the response decoder observes outbound request heads to know
        // that a response to HEAD has no body, so it sits after the encoder.
        try sync.addHandler(HTTPRequestEncoder(configuration: encoderConfiguration))
        try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)))
        try sync.addHandler(UpstreamConnectionHandler())
    }

    /// The most recently used idle connection that is still open, or nil.
    func takeIdle() -> UpstreamConnectionHandler? {
        eventLoop.preconditionInEventLoop()
        while let handler = idle.popLast() {
            if handler.isActive { return handler }
        }
        return nil
    }

    /// Opens a new connection; `completion` runs on `eventLoop`.
    func connect(_ completion: @escaping (Result<UpstreamConnectionHandler, any Error>) -> Void) {
        eventLoop.preconditionInEventLoop()
        openChannel(self).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                    completion(.success(handler))
                } catch {
                    channel.close(promise: nil)
                    completion(.failure(error))
                }
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    /// Gives a connection back after a complete exchange; it is closed instead when the pool is
    /// full or closed, or the connection cannot be reused.
    func release(_ handler: UpstreamConnectionHandler) {
        eventLoop.preconditionInEventLoop()
        guard !isClosed, handler.isActive, handler.responseAllowsReuse, idle.count < maxIdle else {
            handler.close()
            return
        }
        handler.exchange = nil
        // The last response may have ended while reads were paused for a slow client; an idle
        // connection must read again, or it would neither notice the upstream closing it nor
        // ever read the next response.
        handler.resumeReads()
        handler.idleSince = .now()
        idle.append(handler)
        scheduleSweep()
    }

    /// Closes every idle connection and refuses to keep any more (shutdown).
    func close() {
        eventLoop.preconditionInEventLoop()
        isClosed = true
        sweep?.cancel()
        let handlers = idle
        idle.removeAll()
        for handler in handlers { handler.close() }
    }

    private func scheduleSweep() {
        guard sweep == nil else { return }
        let interval = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 2, 100_000_000))
        sweep = eventLoop.assumeIsolated().scheduleTask(in: interval) {
            self.sweep = nil
            self.closeExpired()
        }
    }

    private func closeExpired() {
        let cutoff = NIODeadline.now() - idleTimeout
        idle.removeAll { handler in
            let expired = handler.idleSince <= cutoff || !handler.isActive
            if expired { handler.close() }
            return expired
        }
        if !idle.isEmpty { scheduleSweep() }
    }
}
