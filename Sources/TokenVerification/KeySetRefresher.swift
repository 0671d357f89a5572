import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceLifecycle

/// Loads the key sets of the verified `jwt_claim` sources and keeps JWKS URLs fresh: a secret or
/// a JWKS file once at start, a JWKS URL at start, every `jwks_refresh_interval`, with backoff after
/// failures, and early on an unknown `kid` (`JWKSRefreshStateMachine` decides when).
///
/// Runs off the data path, as a `Service`: fetching uses its own `HTTPClient` (async, never on an
/// event loop's time: no redirects, explicit timeouts, bodies of at most 1 MiB), shut down when the
/// service ends; a new set is published whole to its reader. A failed refresh keeps the last good
/// set. Metrics: `trackingproxy_identity_keys_refresh_total{source,result}`.
public struct KeySetRefresher: Service {
    let readers: [VerifiedTokenReader]
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// How often unknown `kid`s and due refreshes are looked at.
    var tick: Duration = .milliseconds(100)
    /// The first backoff after a failed fetch (doubling, at most 5 minutes).
    var initialBackoff: Duration = .seconds(1)

    /// A refresher of `readers`' keys, fetching on `eventLoopGroup`.
    public init(readers: [VerifiedTokenReader], eventLoopGroup: any EventLoopGroup, logger: Logger, initialBackoff: Duration = .seconds(1)) {
        self.readers = readers
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.initialBackoff = initialBackoff
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration, backgroundActivityLogger: logger)
        await withTaskGroup(of: Void.self) { group in
            for reader in readers {
                group.addTask { await load(reader, client: client) }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        try await client.shutdown()
    }

    private func load(_ reader: VerifiedTokenReader, client: HTTPClient) async {
        switch reader.keySource {
        case .secret(let secret):
            await install(reader, origin: "hs256_secret") { () async throws(KeySetError) in try await KeySet.hs256(secret: secret) }
        case .file(let path, let document):
            let algorithms = Array(reader.check.algorithms)
            await install(reader, origin: path) { () async throws(KeySetError) in try await KeySet.parse(jwks: document, algorithms: algorithms) }
        case .url(let url, let refreshInterval, let minRefreshInterval):
            var machine = JWKSRefreshStateMachine(
                now: .now, refreshInterval: refreshInterval, minRefreshInterval: minRefreshInterval, initialBackoff: initialBackoff)
            while !Task.isCancelled {
                if machine.tick(now: .now, unknownKid: reader.takeUnknownKid()) {
                    let installed = await install(reader, origin: url.absoluteString) { () async throws(KeySetError) in
                        try await Self.fetch(url, client: client, algorithms: Array(reader.check.algorithms))
                    }
                    if installed { machine.fetchSucceeded(now: .now) } else { machine.fetchFailed(now: .now) }
                }
                try? await Task.sleep(for: tick)
            }
        }
    }

    /// Builds a key set and publishes it, or records why not. Returns whether it was published.
    @discardableResult
    private func install(_ reader: VerifiedTokenReader, origin: String, _ build: () async throws(KeySetError) -> KeySet) async -> Bool {
        do throws(KeySetError) {
            let keySet = try await build()
            reader.publish(keySet)
            Counter(label: "trackingproxy_identity_keys_refresh_total", dimensions: [("source", reader.name), ("result", "success")]).increment()
            logger.info("identity keys loaded", metadata: ["identity.source": "\(reader.name)", "identity.keys.origin": "\(origin)", "identity.keys.count": "\(keySet.count)"])
            return true
        } catch {
            reader.loadFailed(error.message)
            Counter(label: "trackingproxy_identity_keys_refresh_total", dimensions: [("source", reader.name), ("result", "failure")]).increment()
            let status = reader.keySetStatus
            logger.warning(
                status.hasKeys ? "identity keys not refreshed; the previous keys stay in force" : "identity keys not loaded; the source names no user until they are",
                metadata: [
                    "identity.source": "\(reader.name)", "identity.keys.origin": "\(origin)", "error.message": "\(error.message)",
                    "identity.keys.failures": "\(status.failures)",
                ])
            return false
        }
    }

    /// GETs a JWKS document and parses it.
    static func fetch(_ url: URL, client: HTTPClient, algorithms: [String]) async throws(KeySetError) -> KeySet {
        let body: ByteBuffer
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: .seconds(15))
            guard response.status == .ok else {
                throw KeySetError(message: "\(url.absoluteString) answered \(response.status.code)")
            }
            body = try await response.body.collect(upTo: 1 << 20)
        } catch let error as KeySetError {
            throw error
        } catch {
            throw KeySetError(message: "cannot fetch \(url.absoluteString): \(error)")
        }
        do throws(KeySetError) {
            return try await KeySet.parse(jwks: Data(body.readableBytesView), algorithms: algorithms)
        } catch {
            throw KeySetError(message: "\(url.absoluteString) \(error.message)")
        }
    }
}
