import ConfigValues
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus

/// The analytics service's listener: the analytics API (`/api/v1/analytics/…`), the dashboard,
/// the API's contract (`GET /openapi.json`, `GET /openapi.yaml`, no token needed), and the
/// service's own `GET /healthz` (process up) and `GET /metrics` (Prometheus text format).
///
/// Its connections are bounded like the sidecar's admin listener: at most `max_connections` at
/// once (more wait in the listen backlog), each closed after `idle_timeout` without a complete
/// request.
public struct AnalyticsServer: Sendable {
    let configuration: AnalyticsConfiguration
    let api: AnalyticsAPI
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// Called with the bound port once the listener accepts connections.
    let onListening: @Sendable (Int) -> Void

    public init(
        configuration: AnalyticsConfiguration, api: AnalyticsAPI, registry: PrometheusCollectorRegistry, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.api = api
        self.registry = registry
        self.logger = logger
        self.onListening = onListening
    }

    /// The Hummingbird application; a `Service` to run in a `ServiceGroup`.
    public func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        router.get("healthz") { _, _ in
            "ok\n"
        }
        router.get("metrics") { [registry] _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let yaml = OpenAPIDocument.yaml
        router.get("openapi.yaml") { _, _ -> Response in
            Self.document(yaml, contentType: "application/yaml")
        }
        do {
            let json = try OpenAPIDocument.json()
            router.get("openapi.json") { _, _ -> Response in
                Self.document(json, contentType: "application/json")
            }
        } catch {
            logger.error("the OpenAPI document does not convert to JSON; /openapi.json is not served", metadata: ["error.message": "\(error)"])
        }
        addAnalyticsRoutes(to: router, api: api)
        var listenerLogger = logger
        listenerLogger[metadataKey: "listener"] = "analytics"
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout.duration))),
            configuration: .init(
                address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: listenerLogger)),
            onServerRunning: { [onListening] channel in onListening(channel.localAddress?.port ?? 0) },
            logger: listenerLogger)
    }

    private static func document(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType + "; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
