import ConfigValues
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import TokenVerification

/// The sidecar's admin listener: `GET /healthz` (process up), `GET /readyz` (upstream reachable,
/// and every verified identity source has keys),
/// `GET /metrics` (Prometheus text format), `GET /status` (the proxy, rules and ingest in words).
/// Nothing an analyst calls: the analytics API and dashboard are the analytics service's.
///
/// It runs as its own Hummingbird application on its own port, so that probes and scrapes never
/// queue behind proxied traffic. It shares the process's descriptors with the proxy, so its
/// connections are bounded: at most `maxConnections` at once (more wait in the listen backlog,
/// holding no descriptor of ours), each closed after `idleTimeout` without a complete request.
struct AdminServer {
    var listen: HostPort
    /// Time a connection may stay without a complete request head (idle between requests, or
    /// trickling one in) before it is closed.
    var idleTimeout: Duration = .seconds(60)
    /// Most connections open at once.
    var maxConnections = 256
    var registry: PrometheusCollectorRegistry
    var probe: UpstreamProbe
    var logger: Logger
    /// The key sets of the verified identity sources, for `/readyz`; called per request, must not block.
    var identityKeys: @Sendable () -> [KeySetStatus] = { [] }
    /// Builds the `/status` document; called per request, must not block.
    var status: @Sendable () -> AdminStatus
    /// Called with the bound port once the listener accepts connections.
    var onListening: @Sendable (Int) -> Void = { _ in }

    func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ in
            "ok\n"
        }
        // Not ready while a verified identity source has never loaded its keys (a JWKS URL not
        // reached since start): a rollout with a wrong `jwks_url`, or without a route to the
        // provider, stops at the first new instance instead of replacing instances that record
        // users with ones that cannot. The proxy forwards requests either way; once a set loaded,
        // a failed refresh keeps it and readiness.
        router.get("readyz") { [probe, identityKeys] _, _ -> Response in
            let reachable = await probe.isReachable()
            let missing = identityKeys().filter { !$0.hasKeys }
            guard reachable, missing.isEmpty else {
                var lines = reachable ? [] : ["upstream unreachable"]
                lines += missing.map { "identity_keys: \($0.source) has no keys (\($0.origin))\($0.lastError.map { ": \($0)" } ?? "")" }
                return Self.text(lines.joined(separator: "\n") + "\n", status: .serviceUnavailable)
            }
            return Self.text("ready\n", status: .ok)
        }
        router.get("metrics") { [registry] _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("status") { [status] _, _ -> Response in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let body = (try? encoder.encode(status())) ?? Data("{}".utf8)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        var adminLogger = logger
        adminLogger[metadataKey: "listener"] = "admin"
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout))),
            configuration: .init(
                address: .hostname(listen.host, port: listen.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(maxConnections, logger: adminLogger)),
            onServerRunning: { [onListening] channel in onListening(channel.localAddress?.port ?? 0) },
            logger: adminLogger)
    }

    static func text(_ body: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
