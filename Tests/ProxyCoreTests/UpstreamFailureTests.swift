import NIOCore
import Testing

@testable import ProxyCore

/// An upstream that is down, slow, or dies mid-response: the client gets 502, 504, or a closed
/// connection, always promptly and never a hang.
@Suite struct UpstreamFailureTests {
    @Test func unreachableUpstreamIs502Promptly() async throws {
        try await ProxyHarness.run(backend: .closedPort) { proxy in
            let client = try await proxy.connect()
            let clock = ContinuousClock()
            let started = clock.now
            try await client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse(timeout: .seconds(5))
            #expect(response.status == 502)
            #expect(clock.now - started < .seconds(3))
            // A bodyless request was read whole: the connection stays usable.
            try await client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse(timeout: .seconds(5)).status == 502)
        }
    }

    @Test func upstreamClosingWithoutAnswerIs502() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("POST /drop HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
            #expect(try await client.readResponse().status == 502)
        }
    }

    @Test func slowResponseHeadIs504() async throws {
        try await ProxyHarness.run(configure: { $0.upstream.responseHeadTimeout = .milliseconds(200) }) { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /hold HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse(timeout: .seconds(5))
            #expect(response.status == 504)
            #expect(proxy.backend.log.value.heldRequests == 1)
            // The late answer must not leak into the next exchange on this connection.
            proxy.backend.releaseHeld()
            try await client.send("GET /echo?next HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().echo().uri == "/echo?next")
        }
    }

    @Test(arguments: ["length", "chunked"])
    func upstreamDyingMidResponseClosesTheClient(framing: String) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /truncate?bytes=100000&framing=\(framing) HTTP/1.1\r\nHost: a\r\n\r\n")
            // Cut short: the client must see the close, never a body that looks complete.
            await #expect(throws: RawResponseError.self) {
                try await client.readResponse(timeout: .seconds(5))
            }
        }
    }
}
