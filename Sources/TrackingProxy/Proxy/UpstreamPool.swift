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
    private let address: SocketAddress
    private let connectTimeout: TimeAmount
    private let maxIdle: Int
    private let idleTimeout: TimeAmount
    private var idle: [UpstreamConnectionHandler] = []
    private var sweep: Scheduled<Void>?
    private var isClosed = false

    init(eventLoop: any EventLoop, address: SocketAddress, configuration: UpstreamConfiguration) {
        self.eventLoop = eventLoop
        self.address = address
        self.connectTimeout = .nanoseconds(configuration.connectTimeout.nanoseconds)
        self.maxIdle = configuration.maxIdleConnections
        self.idleTimeout = .nanoseconds(configuration.idleConnectionTimeout.nanoseconds)
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
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var encoderConfiguration = HTTPRequestEncoder.Configuration()
                    encoderConfiguration.automaticallySetFramingHeaders = false  // the proxy frames each request itself
                    let sync = channel.pipeline.syncOperations
                    // Order matters: the response decoder observes outbound request heads to know
                    // that a response to HEAD has no body, so it sits after the encoder.
                    try sync.addHandler(HTTPRequestEncoder(configuration: encoderConfiguration))
                    try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)))
                    try sync.addHandler(UpstreamConnectionHandler())
                }
            }
        bootstrap.connect(to: address).assumeIsolated().whenComplete { result in
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
