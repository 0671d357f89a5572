import ActivityRules
import ConfigValues
import Foundation
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Testing
import TokenTestSupport

@testable import ProxyCore

/// Issue 11: a verified identity source whose keys never loaded is a named failing check on
/// `/readyz` and a `loading` entry in `/status`, while the proxy keeps forwarding; once the JWKS
/// URL answers, the sidecar is ready.
@Suite(.timeLimit(.minutes(3))) struct SidecarIdentityTests {
    @Test func keysNotLoadedShowOnReadyzAndStatus() async throws {
        let signer = try TestSigner()
        let jwks = JWKSServer(document: signer.jwks)
        jwks.setAvailable(false)
        try await jwks.run { url in
            let fixture = try RulesFixture()
            defer { fixture.remove() }
            let upstream = try await TestUpstream.start()
            let spool = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-spool-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: spool) }
            var configuration = SidecarConfiguration.testing(
                upstreamPort: upstream.port, rulesFile: fixture.path, databaseURL: "host=127.0.0.1 port=1 connect_timeout=1", spool: spool)
            configuration.tracking.identity.sources = [
                IdentitySourceConfiguration(jwtClaim: ["oid"], jwksURL: url.absoluteString, issuer: [TestSigner.issuer], audience: [TestSigner.audience])
            ]
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let ports = Watch<(proxy: Int, admin: Int)>((0, 0), eventLoop: group.next())
            let sidecar = try Sidecar(
                configuration: configuration, version: "test", group: group, registry: PrometheusCollectorRegistry(), logger: Logger(label: "sidecar-test"),
                onProxyListening: { address in ports.update { $0.proxy = address.port ?? 0 } },
                onAdminListening: { port in ports.update { $0.admin = port } })
            #expect(sidecar.tokenReaders.count == 1)
            let services = sidecar.makeServiceGroup(gracefulShutdownSignals: [])
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await services.run() }
                defer { tasks.cancelAll() }
                try await ports.wait(for: "both listeners") { $0.proxy > 0 && $0.admin > 0 }
                let admin = try await RawClient.connect(port: ports.value.admin, group: upstream.group)
                func get(_ path: String) async throws -> RawResponse {
                    try await admin.send("GET \(path) HTTP/1.1\r\nHost: admin\r\n\r\n")
                    return try await admin.readResponse()
                }
                try await IdentityTokenTests.eventually("a failed load") { jwks.requests >= 1 }
                let notReady = try await get("/readyz")
                #expect(notReady.status == 503)
                #expect(String(decoding: notReady.body, as: UTF8.self).contains("identity_keys: tracking.identity.sources[0] has no keys"))
                let status = try JSONSerialization.jsonObject(with: Data(try await get("/status").body)) as? [String: Any]
                let keys = try #require((status?["identity_keys"] as? [[String: Any]])?.first)
                #expect(keys["phase"] as? String == "loading" && keys["source"] as? String == "tracking.identity.sources[0]")

                // The proxy forwards all the same.
                let client = try await RawClient.connect(port: ports.value.proxy, group: upstream.group)
                try await client.send("POST /api/v1/reports/1/generate/ HTTP/1.1\r\nHost: reports\r\nAuthorization: Bearer \(try await signer.rs256())\r\nContent-Length: 0\r\n\r\n")
                #expect(try await client.readResponse().status == 200)
                await client.close()

                jwks.setAvailable(true)
                let deadline = ContinuousClock.now + .seconds(30)
                var ready = try await get("/readyz")
                while ready.status != 200, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    ready = try await get("/readyz")
                }
                #expect(ready.status == 200)
                await admin.close()
                await services.triggerGracefulShutdown()
            }
            try? await group.shutdownGracefully()
            await upstream.shutdown()
        }
    }
}
