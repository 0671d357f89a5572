import NIOCore
import Testing

@testable import ProxyCore

@Suite struct ConnectionLimitTests {
    @Test func connectionsBeyondTheLimitAreClosedAndTheOthersServed() async throws {
        try await ProxyHarness.run(configure: { $0.client.maxConnections = 2 }) { proxy in
            let first = try await proxy.connect()
            let second = try await proxy.connect()
            // Both admitted ones are served (also proves they are fully set up before the third).
            try await first.send("GET /echo HTTP/1.1\r\nHost: app\r\n\r\n")
            #expect(try await first.readResponse().status == 200)
            try await second.send("GET /echo HTTP/1.1\r\nHost: app\r\n\r\n")
            #expect(try await second.readResponse().status == 200)

            let third = try await proxy.connect()
            try await third.expectClosed()

            // A slot frees when a connection closes.
            await second.close()
            var admitted = false
            for _ in 0..<100 where !admitted {
                // Until the slot frees, the proxy closes each new connection, so the
                // send itself may fail with "I/O on closed channel": that is a refusal too.
                let again = try await proxy.connect()
                if (try? await again.send("GET /echo HTTP/1.1\r\nHost: app\r\n\r\n")) != nil {
                    admitted = (try? await again.readResponse(timeout: .milliseconds(500)))?.status == 200
                }
                await again.close()
                if !admitted { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(admitted)
            await first.close()
        }
    }
}
