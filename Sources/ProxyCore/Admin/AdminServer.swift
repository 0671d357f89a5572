import ConfigValues
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus

/// The sidecar's admin listener: `GET /healthz` (process up), `GET /readyz` (upstream reachable),
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
    /// Builds the `/status` document; called per request, must not block.
    var status: @Sendable () -> AdminStatus
    /// Called with the bound port once the listener accepts connections.
    var onListening: @Sendable (Int) -> Void = { _ in }

    func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ in
            "ok\n"
        }
        router.get("readyz") { [probe] _, _ -> Response in
            let ready = await probe.isReachable()
            return Self.text(ready ? "ready\n" : "upstream unreachable\n", status: ready ? .ok : .serviceUnavailable)
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
