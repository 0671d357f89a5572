import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// A client connection's handlers are freed with it: a handler that kept its context after
/// leaving the pipeline kept both alive (the context holds its handler), and with them the
/// channel, per connection, forever. Found by the request-path fuzz target's memory growth.
@Suite struct ConnectionLifetimeTests {
    /// A client connection on `EmbeddedChannel`s, its upstream connections embedded too.
    final class Connection {
        let loop = EmbeddedEventLoop()
        let client: EmbeddedChannel
        private(set) var upstreams: [EmbeddedChannel] = []

        init() throws {
            let configuration = SidecarConfiguration()
            let context = ProxyContext(configuration: configuration, tracker: nil, logger: Logger(label: "test")) { _ in false }
            let loop = self.loop
            client = EmbeddedChannel(loop: loop)
            let pool = UpstreamPool(eventLoop: loop, configuration: configuration.upstream) { [unowned self] _ in
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

        var handler: ProxyServerHandler {
            get throws { try client.pipeline.syncOperations.handler(type: ProxyServerHandler.self) }
        }

        /// Sends one request and lets the proxy forward it.
        func send(_ request: String) throws {
            try client.writeInbound(ByteBuffer(string: request))
            loop.run()
        }

        /// Closes every connection, as the client and the app going away would.
        func close() throws {
            _ = try client.finish(acceptAlreadyClosed: true)
            for upstream in upstreams { _ = try upstream.finish(acceptAlreadyClosed: true) }
        }
    }

    @Test func aConnectionClosedMidRequestFreesItsHandler() throws {
        weak var handler: ProxyServerHandler?
        do {
            let connection = try Connection()
            handler = try connection.handler
            try connection.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(connection.upstreams.count == 1)
            try connection.close()
        }
        #expect(handler == nil)
    }

    @Test func aConnectionClosedAfterAnswersFreesItsHandler() throws {
        weak var handler: ProxyServerHandler?
        do {
            let connection = try Connection()
            handler = try connection.handler
            try connection.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
            let upstream = try #require(connection.upstreams.first)
            try upstream.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
            connection.loop.run()
            var answered = ByteBuffer()
            while var part = try connection.client.readOutbound(as: ByteBuffer.self) { answered.writeBuffer(&part) }
            #expect(answered.readString(length: 15) == "HTTP/1.1 200 OK")
            try connection.close()
        }
        #expect(handler == nil)
    }
}
