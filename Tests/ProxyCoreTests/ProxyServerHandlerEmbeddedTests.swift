import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// `ProxyServerHandler` performing its state machine's actions on `EmbeddedChannel`s: the client
/// connection's real pipeline (`ProxyServer.addHandlers`) and upstream connections with the real
/// upstream pipeline, answered by hand. Orderings that sockets make hard to force are forced here.
@Suite struct ProxyServerHandlerEmbeddedTests {
    static let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneUpstreamConnection() throws {
        let proxy = try EmbeddedProxy()
        defer { try? proxy.finish() }
        try proxy.send("GET /a HTTP/1.1\r\nHost: app\r\n\r\nGET /b HTTP/1.1\r\nHost: app\r\n\r\n")
        #expect(try proxy.upstreamReceived(0).hasPrefix("GET /a HTTP/1.1\r\n"))
        try proxy.answer(0, "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na")
        // The second request went out only once the first response was complete, on the same
        // (pooled) connection.
        #expect(try proxy.upstreamReceived(0).hasPrefix("GET /b HTTP/1.1\r\n"))
        try proxy.answer(0, "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb")
        let received = try proxy.received()
        #expect(received.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(received.hasSuffix("\r\n\r\nb"))
        #expect(received.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(proxy.upstreams.count == 1)
        #expect(proxy.client.isActive)
    }

    @Test func aRequestPipelinedBehindARefusedOneIsDropped() throws {
        let proxy = try EmbeddedProxy()
        defer { try? proxy.finish() }
        try proxy.send("GET /a HTTP/1.1\r\nHost: app\r\nHost: other\r\n\r\nGET /b HTTP/1.1\r\nHost: app\r\n\r\n")
        let received = try proxy.received()
        #expect(received.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(received.contains("connection: close"))
        #expect(received.components(separatedBy: "HTTP/1.1").count == 2)
        #expect(proxy.upstreams.isEmpty)
        #expect(!proxy.client.isActive)
    }

    @Test func aStalePooledConnectionIsRetriedOnAFreshOne() throws {
        let proxy = try EmbeddedProxy()
        defer { try? proxy.finish() }
        try proxy.send("GET /a HTTP/1.1\r\nHost: app\r\n\r\n")
        #expect(try proxy.upstreamReceived(0).hasPrefix("GET /a HTTP/1.1\r\n"))
        try proxy.answer(0, Self.ok)
        #expect(try proxy.received().hasPrefix("HTTP/1.1 200 OK\r\n"))
        try proxy.send("GET /b HTTP/1.1\r\nHost: app\r\n\r\n")
        #expect(try proxy.upstreamReceived(0).hasPrefix("GET /b HTTP/1.1\r\n"))
        try proxy.closeUpstream(0)
        #expect(proxy.upstreams.count == 2)
        #expect(try proxy.upstreamReceived(1).hasPrefix("GET /b HTTP/1.1\r\n"))
        try proxy.answer(1, Self.ok)
        #expect(try proxy.received().hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(proxy.client.isActive)
    }

    @Test func anUpstreamThatClosesBeforeAnsweringGets502() throws {
        let proxy = try EmbeddedProxy()
        defer { try? proxy.finish() }
        try proxy.send("POST /a HTTP/1.1\r\nHost: app\r\nContent-Length: 0\r\n\r\n")
        try proxy.closeUpstream(0)
        #expect(try proxy.received().hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(proxy.upstreams.count == 1)
        #expect(proxy.client.isActive)
    }

    @Test func aRefusedUpstreamConnectionGets502() throws {
        let proxy = try EmbeddedProxy(refuseConnections: true)
        defer { try? proxy.finish() }
        try proxy.send("GET /a HTTP/1.1\r\nHost: app\r\n\r\n")
        #expect(try proxy.received().hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
    }

    @Test func shutdownMidRequestClosesAfterTheResponse() throws {
        let proxy = try EmbeddedProxy()
        defer { try? proxy.finish() }
        try proxy.send("GET /a HTTP/1.1\r\nHost: app\r\n\r\n")
        proxy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        proxy.loop.run()
        #expect(proxy.client.isActive)
        try proxy.answer(0, Self.ok)
        let received = try proxy.received()
        #expect(received.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(received.contains("connection: close"))
        #expect(received.hasSuffix("\r\n\r\nok"))
        #expect(!proxy.client.isActive)
    }

    @Test func shutdownWhileIdleClosesAtOnce() throws {
        let proxy = try EmbeddedProxy()
        defer { try? proxy.finish() }
        proxy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        proxy.loop.run()
        #expect(!proxy.client.isActive)
    }
}
