import ConfigValues
import Foundation
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Testing

@testable import Ingest
@testable import ProxyCore

/// Issue 10: the sidecar exactly as `serve` builds it (`Sidecar.init`): proxy, tracking, writer,
/// spool, rules reloader and the admin listener, which serves operators only.
@Suite struct SidecarTests {
    @Test func servesTracksSpoolsAndKeepsAnalystsRoutesOff() async throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let upstream = try await TestUpstream.start()
        let refusingDatabase = try RefusingPort()
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-spool-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        // PostgreSQL away: the record must reach the spool, and /status must say so.
        var configuration = SidecarConfiguration.testing(
            upstreamPort: upstream.port, rulesFile: fixture.path, databaseURL: "host=127.0.0.1 port=\(refusingDatabase.port) connect_timeout=2", spool: spool)
        configuration.ingest.systemMetricsInterval = .milliseconds(100)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let ports = Watch<(proxy: Int, admin: Int)>((0, 0), eventLoop: group.next())
        let sidecar = try Sidecar(
            configuration: configuration, version: "test", group: group, registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "sidecar-test"),
            onProxyListening: { address in ports.update { $0.proxy = address.port ?? 0 } },
            onAdminListening: { port in ports.update { $0.admin = port } })
        let services = sidecar.makeServiceGroup(gracefulShutdownSignals: [])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await services.run() }
            do {
                try await ports.wait(for: "both listeners") { $0.proxy > 0 && $0.admin > 0 }
                let (proxyPort, adminPort) = ports.value

                let client = try await RawClient.connect(port: proxyPort, group: upstream.group)
                try await client.send("POST /api/v1/reports/42/generate/ HTTP/1.1\r\nHost: reports\r\nContent-Length: 2\r\n\r\n{}")
                #expect(try await client.readResponse().status == 200)
                await client.close()

                let admin = try await RawClient.connect(port: adminPort, group: upstream.group)
                var status: [String: Any] = [:]
                for _ in 0..<200 {
                    try await admin.send("GET /status HTTP/1.1\r\nHost: admin\r\n\r\n")
                    let response = try await admin.readResponse()
                    status = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
                    if ((status["ingest"] as? [String: Any])?["spool_records"] as? Int ?? 0) >= 1 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let ingest = try #require(status["ingest"] as? [String: Any])
                #expect(ingest["spool_records"] as? Int == 1, "\(status)")
                #expect((ingest["state"] as? String)?.hasPrefix("spooling") == true)
                #expect((status["rules"] as? [String: Any])?["count"] as? Int == 1)
                // The system-metrics recorder runs in the service group: its minutes wait for PostgreSQL.
                for _ in 0..<100 where sidecar.writer.systemMetricsBacklog.waiting == 0 { try await Task.sleep(for: .milliseconds(50)) }
                #expect(sidecar.writer.systemMetricsBacklog.waiting >= 1)
                for path in ["/healthz", "/readyz", "/metrics"] {
                    try await admin.send("GET \(path) HTTP/1.1\r\nHost: admin\r\n\r\n")
                    #expect(try await admin.readResponse().status == 200, "\(path)")
                }
                // Nothing an analyst calls lives in the sidecar.
                for path in ["/dashboard", "/api/v1/analytics/user-activity/", "/api/v1/analytics/system-health/"] {
                    try await admin.send("GET \(path) HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer whatever-token-0001\r\n\r\n")
                    #expect(try await admin.readResponse().status == 404, "\(path)")
                }
                await admin.close()
            } catch {
                await services.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try? await group.shutdownGracefully()
        await upstream.shutdown()
    }

    /// Graceful shutdown runs the services in reverse: the proxy must drain before the activity
    /// builder builds what waits, and the builder before the writer flushes.
    @Test func theActivityBuilderStopsAfterTheProxyAndBeforeTheWriter() throws {
        let fixture = try RulesFixture()
        defer { fixture.remove() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let configuration = SidecarConfiguration.testing(
            upstreamPort: 80, rulesFile: fixture.path, databaseURL: "host=127.0.0.1 port=1", spool: "/nonexistent/spool")
        let sidecar = try Sidecar(configuration: configuration, version: "test", group: group, registry: PrometheusCollectorRegistry(), logger: Logger(label: "t"))
        let order = sidecar.makeServices().map { $0.service }
        let writer = try #require(order.firstIndex { $0 is ActivityWriter })
        let builder = try #require(order.firstIndex { $0 is ActivityBuilder })
        let proxy = try #require(order.firstIndex { $0 is ProxyService })
        #expect(writer < builder && builder < proxy)
    }

    @Test func anUnresolvableUpstreamOrBadRulesStopTheBuildWithASentence() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var configuration = SidecarConfiguration()
        configuration.upstream.url = UpstreamURL(host: "no-such-host.invalid", port: 80)
        #expect { try Sidecar(configuration: configuration, version: "test", group: group, registry: PrometheusCollectorRegistry(), logger: Logger(label: "t")) }
            throws: { "\($0)".contains("upstream.url: cannot resolve no-such-host.invalid") }
        configuration.upstream.url = UpstreamURL(host: "127.0.0.1", port: 80)
        configuration.tracking.rulesFile = "/nonexistent/rules.yaml"
        #expect { try Sidecar(configuration: configuration, version: "test", group: group, registry: PrometheusCollectorRegistry(), logger: Logger(label: "t")) }
            throws: { "\($0)".contains("/nonexistent/rules.yaml") }
    }
}
