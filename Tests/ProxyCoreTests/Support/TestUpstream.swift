import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A real HTTP/1.1 server on `127.0.0.1:0` standing in for the application behind the proxy.
///
/// Behaviour is chosen by the request path (see `UpstreamRequestHandler`): `/echo` (default),
/// `/stream`, `/status/N`, `/hold`, `/truncate`, `/hop`, `/ws`. It counts accepted connections
/// and records every request head it receives, so tests can check what crossed the proxy.
final class TestUpstream: Sendable {
    /// What the upstream saw so far.
    struct Log: Sendable {
        var acceptedConnections = 0
        var heads: [HTTPRequestHead] = []
        /// Requests whose end (and so whole body) arrived.
        var completedRequests = 0
        /// `/hold` requests waiting for `releaseHeld()`.
        var heldRequests = 0
        /// Connections that closed (from either side).
        var closedConnections = 0
    }

    let group: MultiThreadedEventLoopGroup
    let log: Watch<Log>
    private let held = Mutex<[@Sendable () -> Void]>([])
    private let dropped = Mutex<Set<String>>([])

    /// True the first time `key` is seen (for `/drop-once`).
    func firstTime(_ key: String) -> Bool {
        dropped.withLock { $0.insert(key).inserted }
    }
    private let serverChannel = Mutex<(any Channel)?>(nil)

    private init(group: MultiThreadedEventLoopGroup) {
        self.group = group
        self.log = Watch(Log(), eventLoop: group.next())
    }

    /// Starts a server on its own event loop group.
    static func start() async throws -> TestUpstream {
        let upstream = TestUpstream(group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
        let channel = try await ServerBootstrap(group: upstream.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    upstream.log.update { $0.acceptedConnections += 1 }
                    try Self.configure(channel.pipeline.syncOperations, upstream: upstream)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        upstream.serverChannel.withLock { $0 = channel }
        return upstream
    }

    private static func configure(_ pipeline: ChannelPipeline.SynchronousOperations, upstream: TestUpstream) throws {
        let handler = UpstreamRequestHandler(upstream: upstream)
        let webSocket = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, head in
                guard head.uri.hasPrefix("/ws") else { return channel.eventLoop.makeSucceededFuture(nil) }
                // The request handler never sees an upgraded request: record it here.
                upstream.log.update { $0.heads.append(head) }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                }
            })
        let handlerBox = NIOLoopBound(handler, eventLoop: pipeline.eventLoop)
        try pipeline.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [webSocket],
                completionHandler: { context in
                    // The HTTP handler must not see WebSocket frames.
                    context.pipeline.syncOperations.removeHandler(handlerBox.value, promise: nil)
                }
            ))
        try pipeline.addHandler(handler)
    }

    var port: Int {
        serverChannel.withLock { $0?.localAddress?.port ?? 0 }
    }

    /// Keeps a `/hold` request's response until `releaseHeld()`.
    func hold(_ respond: @escaping @Sendable () -> Void) {
        held.withLock { $0.append(respond) }
        log.update { $0.heldRequests += 1 }
    }

    /// Answers every held request.
    func releaseHeld() {
        let responders = held.withLock { held in
            defer { held.removeAll() }
            return held
        }
        for respond in responders { respond() }
    }

    func shutdown() async {
        held.withLock { $0.removeAll() }
        let channel = serverChannel.withLock { $0 }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}
