import NIOCore
import Testing

@testable import ProxyCore

/// `ProxyServer.shutdown(gracePeriod:)`: stop accepting, let the request in flight finish.
@Suite struct GracefulShutdownTests {
    @Test func requestInFlightCompletesAndNewConnectionsAreRefused() async throws {
        try await ProxyHarness.run { proxy in
            let server = try #require(proxy.server)
            let client = try await proxy.connect()
            try await client.send("GET /hold HTTP/1.1\r\nHost: a\r\n\r\n")
            try await proxy.backend.log.wait(for: "the request to reach the upstream") { $0.heldRequests == 1 }

            async let stopped: Void = server.shutdown(gracePeriod: .seconds(20))
            try await Self.waitUntilRefused(port: proxy.port, group: proxy.clientGroup)

            proxy.backend.releaseHeld()
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(try response.echo().uri == "/hold")
            try await client.expectClosed()
            await stopped
            #expect(server.openConnectionCount == 0)
            await #expect(throws: (any Error).self) {
                try await RawClient.connect(port: proxy.port, group: proxy.clientGroup)
            }
        }
    }

    /// Shutdown closes the listener on its event loop soon after it starts; connect until refused.
    static func waitUntilRefused(port: Int, group: any EventLoopGroup) async throws {
        for _ in 0..<200 {
            guard let client = try? await RawClient.connect(port: port, group: group) else { return }
            await client.close()
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestTimeout(what: "the listener to stop accepting")
    }
}
