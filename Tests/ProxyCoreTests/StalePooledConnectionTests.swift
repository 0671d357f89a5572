import NIOCore
import Testing

@testable import ProxyCore

/// A pooled upstream connection that the upstream closes just as the proxy reuses it (its own
/// keep-alive timeout running out) must not surface as an error when retrying is safe.
@Suite struct StalePooledConnectionTests {
    @Test func idempotentRequestIsRetriedOnceOnAFreshConnection() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: app\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            // Reuses the pooled connection, which the upstream closes without answering.
            try await client.send("GET /drop-once?key=get HTTP/1.1\r\nHost: app\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            await client.close()
            #expect(proxy.backend.log.value.acceptedConnections == 2)
        }
    }

    @Test func nonIdempotentRequestIsNotRetried() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: app\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            try await client.send("POST /drop-once?key=post HTTP/1.1\r\nHost: app\r\nContent-Length: 0\r\n\r\n")
            // The application may have acted on it: the proxy answers 502 rather than sending it twice.
            #expect(try await client.readResponse().status == 502)
            await client.close()
            #expect(proxy.backend.log.value.acceptedConnections == 1)
        }
    }
}
