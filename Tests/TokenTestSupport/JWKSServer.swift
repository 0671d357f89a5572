import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A JWKS document served over real HTTP by Hummingbird on `127.0.0.1:0`, changeable while it
/// runs; `available: false` answers 503 (a provider in trouble); `requests` counts fetches.
public final class JWKSServer: Sendable {
    private let state: Mutex<(document: String, available: Bool, requests: Int)>

    public init(document: String) {
        state = Mutex((document, true, 0))
    }

    /// Replaces the document (key rotation).
    public func serve(_ document: String) { state.withLock { $0.document = document } }
    /// Makes the server answer 503 (false) or the document (true).
    public func setAvailable(_ available: Bool) { state.withLock { $0.available = available } }
    /// GET /keys requests answered so far.
    public var requests: Int { state.withLock { $0.requests } }

    private func answer() -> Response {
        let (document, available) = state.withLock { state in
            state.requests += 1
            return (state.document, state.available)
        }
        guard available else { return Response(status: .serviceUnavailable) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document)))
    }

    /// Runs the server while `body` runs with its URL; stops it after, also when `body` throws.
    public func run<T: Sendable>(_ body: (URL) async throws -> T) async throws -> T {
        let router = Router()
        router.get("keys") { _, _ -> Response in self.answer() }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: Logger(label: "jwks-server"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService() }
            var port = 0
            for await value in ports { port = value }
            defer { group.cancelAll() }
            guard let url = URL(string: "http://127.0.0.1:\(port)/keys") else { throw URLError(.badURL) }
            return try await body(url)
        }
    }
}
