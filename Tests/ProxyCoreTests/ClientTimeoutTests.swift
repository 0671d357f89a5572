import Testing

@testable import ProxyCore

/// Clients that are slow to send a head (slowloris) or stay idle are timed out; others are served.
@Suite struct ClientTimeoutTests {
    @Test func slowClientGets408WhileOthersAreServed() async throws {
        try await ProxyHarness.run(configure: { $0.client.requestHeadTimeout = .milliseconds(300) }) { proxy in
            let slow = try await proxy.connect()
            try await slow.send("GET /echo?slow HTTP/1.1\r\nHost: a\r\nX-Partial: ")
            let other = try await proxy.connect()
            try await other.send("GET /echo?other HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await other.readResponse().echo().uri == "/echo?other")

            let response = try await slow.readResponse(timeout: .seconds(5))
            #expect(response.status == 408)
            #expect(response.value("connection") == "close")
            try await slow.expectClosed()
            #expect(proxy.backend.log.value.heads.map(\.uri) == ["/echo?other"])
        }
    }

    @Test func idleConnectionIsClosed() async throws {
        // 3 s: a loaded 2-core machine has stalled this test's task for over 1 s between connect
        // and send, and the connection (idle before its first request too) was gone.
        try await ProxyHarness.run(configure: { $0.client.idleTimeout = .seconds(3) }) { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            try await client.expectClosed(timeout: .seconds(10))
        }
    }
}
