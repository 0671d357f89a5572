import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import ProxyCore

/// A client connection through the proxy's real pipeline (`ProxyServer.addHandlers`) on an
/// `EmbeddedChannel`, and the upstream connections it opened, embedded too (the real upstream
/// pipeline, answered by hand).
final class EmbeddedProxy {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    private(set) var upstreams: [EmbeddedChannel] = []

    /// `refuseConnections`: every new upstream connection fails, as a refused connect would.
    init(refuseConnections: Bool = false) throws {
        let configuration = SidecarConfiguration()
        let context = ProxyContext(configuration: configuration, tracker: nil, logger: Logger(label: "test")) { _ in false }
        let loop = self.loop
        client = EmbeddedChannel(loop: loop)
        let pool = UpstreamPool(eventLoop: loop, configuration: configuration.upstream) { [unowned self] _ in
            if refuseConnections { return loop.makeFailedFuture(ChannelError.connectTimeout(.seconds(2))) }
            let channel = EmbeddedChannel(loop: loop)
            do {
                try UpstreamPool.addHandlers(to: channel)
                try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8000)).wait()
            } catch {
                return loop.makeFailedFuture(error)
            }
            self.upstreams.append(channel)
            return loop.makeSucceededFuture(channel)
        }
        try ProxyServer.addHandlers(
            to: client, limits: configuration.client, context: context, pool: pool,
            peer: .init(address: "192.0.2.1", isTrusted: false))
        try client.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 40000)).wait()
    }

    /// The client sends `text`; the proxy does what follows.
    func send(_ text: String) throws {
        try client.writeInbound(ByteBuffer(string: text))
        loop.run()
    }

    /// What the client received since the last call.
    func received() throws -> String {
        try Self.drain(client)
    }

    /// What upstream connection `index` received since the last call.
    func upstreamReceived(_ index: Int) throws -> String {
        try Self.drain(try #require(upstreams.dropFirst(index).first))
    }

    /// Upstream connection `index` answers `text`.
    func answer(_ index: Int, _ text: String) throws {
        try #require(upstreams.dropFirst(index).first).writeInbound(ByteBuffer(string: text))
        loop.run()
    }

    /// Upstream connection `index` closes, as an app's keep-alive timeout would.
    func closeUpstream(_ index: Int) throws {
        try #require(upstreams.dropFirst(index).first).close().wait()
        loop.run()
    }

    /// The client connection's proxy handler.
    var handler: ProxyServerHandler {
        get throws { try client.pipeline.syncOperations.handler(type: ProxyServerHandler.self) }
    }

    /// Closes every connection, as the client and the app going away would.
    func finish() throws {
        _ = try client.finish(acceptAlreadyClosed: true)
        for upstream in upstreams { _ = try upstream.finish(acceptAlreadyClosed: true) }
    }

    private static func drain(_ channel: EmbeddedChannel) throws -> String {
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        return String(buffer: bytes)
    }
}
