import ConfigValues
import Foundation
import Prometheus
import ServiceLifecycle
import Testing

@testable import Analytics
@testable import DeploymentConfiguration

/// Issue 10: the analytics service as `trackingproxy analytics serve` builds it, on a port of its
/// own: its `/healthz`, its `/metrics`, the API with its tokens, and its connection cap.
@Suite struct AnalyticsServiceTests {
    static let token = "analytics-service-test-token-0001"

    @Test func servesHealthMetricsAndTheAPIWithItsTokens() async throws {
        try await withAnalyticsService { port in
            let health = try RawSocket(port: port)
            health.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            try await eventually("healthz") { health.received.contains("200 OK") && health.received.hasSuffix("ok\n") }
            let metrics = try RawSocket(port: port)
            metrics.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
            try await eventually("metrics") { metrics.received.contains("200 OK") && metrics.received.contains("text/plain; version=0.0.4") }
            let anonymous = try RawSocket(port: port)
            anonymous.send("GET /api/v1/analytics/user-activity/ HTTP/1.1\r\nHost: a\r\n\r\n")
            try await eventually("401") { anonymous.received.contains("401 Unauthorized") }
            let admin = try RawSocket(port: port)
            admin.send("GET /api/v1/analytics/user-activity/?limit=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(Self.token)\r\n\r\n")
            try await eventually("200 with rows") { admin.received.contains("200 OK") && admin.received.contains("\"count\":") }
            for socket in [health, metrics, anonymous, admin] { socket.close() }
        }
    }

    @Test func connectionsBeyondItsCapWait() async throws {
        try await withAnalyticsService(maxConnections: 1) { port in
            let first = try RawSocket(port: port)
            first.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            try await eventually("first answered") { first.received.contains("200 OK") }
            let second = try RawSocket(port: port)
            second.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            try await Task.sleep(for: .seconds(1))
            #expect(second.received.isEmpty, "a second connection was served beyond analytics.max_connections 1")
            first.close()
            try await eventually(timeout: .seconds(30), "second answered once the first closed") { second.received.contains("200 OK") }
            second.close()
        }
    }

    @Test func listenerKeysDefaultsAndLimits() throws {
        let defaults = AnalyticsConfiguration()
        #expect(defaults.listen == HostPort(host: "127.0.0.1", port: 9100))
        #expect(defaults.idleTimeout == .seconds(60) && defaults.maxConnections == 256)
        let set = try loadConfiguration("analytics:\n  listen: 0.0.0.0:9200\n  idle_timeout: 5s\n  max_connections: 10\n")
        #expect(set.analytics.listen == HostPort(host: "0.0.0.0", port: 9200))
        #expect(set.analytics.idleTimeout == .seconds(5) && set.analytics.maxConnections == 10)
        for (yaml, key) in [
            ("analytics:\n  max_connections: 0\n", "analytics.max_connections"),
            ("analytics:\n  max_connections: 10001\n", "analytics.max_connections"),
            ("analytics:\n  idle_timeout: 500ms\n", "analytics.idle_timeout"),
            ("analytics:\n  listen: nowhere\n", "analytics.listen"),
            ("analytics:\n  port: 1\n", "analytics.port"),
        ] {
            #expect { try loadConfiguration(yaml) } throws: { "\($0)".contains(key) }
        }
    }
}

/// Runs an `AnalyticsService` on a free port over the seeded database, as `analytics serve` does,
/// calls `body` with the port, then shuts it down gracefully.
func withAnalyticsService(maxConnections: Int = 16, _ body: @Sendable @escaping (Int) async throws -> Void) async throws {
    var analytics = AnalyticsConfiguration(tokens: [.init(token: Secret(AnalyticsServiceTests.token), role: .admin)])
    analytics.listen = HostPort(host: "127.0.0.1", port: 0)
    analytics.maxConnections = maxConnections
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let service = AnalyticsService(
        analytics: analytics, retention: RetentionConfiguration(), databaseURL: Secret(try await SeededDatabase.shared.get()),
        registry: PrometheusCollectorRegistry(), logger: testLogger
    ) { port in
        continuation.yield(port)
        continuation.finish()
    }
    // A service group is a service: `whileRunning` runs it inside its own and shuts both down.
    try await whileRunning(service.makeServiceGroup(gracefulShutdownSignals: [])) {
        var port = 0
        for await value in ports { port = value }
        try await body(port)
    }
}
