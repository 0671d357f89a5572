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
    @Test func aConnectionClosedMidRequestFreesItsHandler() throws {
        weak var handler: ProxyServerHandler?
        do {
            let connection = try EmbeddedProxy()
            handler = try connection.handler
            try connection.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(connection.upstreams.count == 1)
            try connection.finish()
        }
        #expect(handler == nil)
    }

    @Test func aConnectionClosedAfterAnswersFreesItsHandler() throws {
        weak var handler: ProxyServerHandler?
        do {
            let connection = try EmbeddedProxy()
            handler = try connection.handler
            try connection.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
            let upstream = try #require(connection.upstreams.first)
            try upstream.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
            connection.loop.run()
            #expect(try connection.received().hasPrefix("HTTP/1.1 200 OK"))
            try connection.finish()
        }
        #expect(handler == nil)
    }
}
