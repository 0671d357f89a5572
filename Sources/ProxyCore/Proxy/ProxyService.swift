import NIOCore
import ServiceLifecycle

/// Runs a `ProxyServer` inside a `ServiceGroup`: starts it, waits for graceful shutdown
/// (SIGTERM/SIGINT), then drains in-flight requests within the grace period.
struct ProxyService: Service {
    let server: ProxyServer
    let gracePeriod: Duration
    /// Called with the bound address once the listener accepts connections.
    var onStarted: @Sendable (SocketAddress) -> Void = { _ in }

    func run() async throws {
        let address = try await server.start()
        onStarted(address)
        // Cancellation (not graceful shutdown) also ends the wait; both then drain.
        try? await gracefulShutdown()
        await server.shutdown(gracePeriod: gracePeriod)
    }
}
