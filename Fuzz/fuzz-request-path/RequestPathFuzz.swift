import ActivityRules
import ConfigValues
import FuzzDriver
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import TokenVerification

@testable import Ingest
@testable import ProxyCore

/// Client bytes through the proxy's own client pipeline (timeouts, HTTP codec, validation, header
/// rewriting, framing, target normalisation, rule matching, tracking) on `EmbeddedChannel`s, with
/// upstream connections that are `EmbeddedChannel`s too and answer every request they get.
///
/// Invariants, checked for every input:
/// - no trap anywhere (the sanitizers also catch memory errors);
/// - whatever reaches an upstream connection re-parses with NIOHTTP1's strict request decoder, has
///   exactly one `Host` and one `X-Forwarded-For`, no field name with an underscore, and, from an
///   untrusted peer, `X-Forwarded-For` is the peer's address alone;
/// - whatever reaches the client re-parses with NIOHTTP1's response decoder (until a 101);
/// - every activity record the tracker hands on validates or is refused with an `StorageError`, and
///   a valid one encodes as a COPY row.
///
/// The first input byte picks the peer (bit 0: a trusted proxy or not); the rest is what the client sends.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let released = RequestPathExchange(trustedPeer: bytes[0] & 1 == 1).run(clientBytes: UnsafeBufferPointer(rebasing: bytes[1...]))
    // Once its connections closed, nothing of an exchange may stay alive: a handler that keeps
    // its context keeps the whole channel (one leaked every client connection once).
    precondition(released.client == nil, "a closed client connection stayed alive")
    precondition(released.handler == nil, "a closed client connection's ProxyServerHandler stayed alive")
    precondition(released.upstreams.allSatisfy { $0.value == nil }, "a closed upstream connection stayed alive")
    return 0
}

@main
enum RequestPathFuzz {
    static func main() { runFuzzer(fuzzOneInput) }
}

/// What every input shares: the configuration and the tracking policy (the shipped rules).
enum Setup {
    static let configuration: SidecarConfiguration = {
        var configuration = SidecarConfiguration()
        configuration.client.maxHeaderBytes = .init(bytes: 4096)
        configuration.client.maxURLBytes = .init(bytes: 1024)
        configuration.client.maxBodyBytes = .init(bytes: 4096)
        return configuration
    }()

    static let policy: TrackingPolicy = {
        var tracking = TrackingConfiguration()
        tracking.rulesFile = "rules/reports-app.yaml"
        tracking.trustedProxies = [IPNetwork("10.0.0.0/8"), IPNetwork("::1/128")].compactMap { $0 }
        tracking.clientIP.sources = [.xForwardedFor, .forwarded, .xRealIP]
        tracking.identity.sources = [
            IdentitySourceConfiguration(header: "X-Forwarded-User"),
            // The unverified reader parses every fuzzed bearer token (jwt-kit's parser); the
            // verifying one is fuzzed by fuzz-jwt.
            IdentitySourceConfiguration(jwtClaim: ["sub", "oid"], verify: false),
            IdentitySourceConfiguration(responseHeader: "X-User-Id", strip: true),
        ]
        tracking.privacy.truncateIPv4Prefix = 24
        do {
            return try TrackingPolicy(configuration: tracking, tokenReaders: TokenReaders().factory)
        } catch {
            fatalError("the fuzz target runs from the repository root (it reads rules/reports-app.yaml): \(error)")
        }
    }()

    static let records = RecordSink()
    static let tracker = ActivityTracker(policy: policy) { envelope in records.take(envelope) }
    static let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    static let context = ProxyContext(configuration: configuration, tracker: tracker, logger: logger) { _ in false }
}

/// Checks every record the tracker hands on, as the writer would.
final class RecordSink: Sendable {
    func take(_ envelope: ActivityEnvelope) {
        do {
            let record = try envelope.record.validated()
            var buffer = ByteBuffer()
            BinaryCopyFormat.writeTuple(record, into: &buffer)
            precondition(BinaryCopyFormat.readTuple(from: &buffer) != nil, "a valid record does not read back from its COPY row")
        } catch {
            // Refused with a sentence and counted by the writer: fine.
        }
    }
}

/// What should be gone once an exchange is over.
struct Released {
    weak var client: EmbeddedChannel?
    weak var handler: ProxyServerHandler?
    var upstreams: [Weak] = []

    struct Weak {
        weak var value: EmbeddedChannel?
    }
}

/// One input's connections.
struct RequestPathExchange {
    let trustedPeer: Bool

    func run(clientBytes: UnsafeBufferPointer<UInt8>) -> Released {
        let loop = EmbeddedEventLoop()
        let peerAddress = trustedPeer ? "10.1.2.3" : "198.51.100.9"
        var upstreams: [UpstreamSide] = []
        let pool = UpstreamPool(eventLoop: loop, configuration: Setup.configuration.upstream) { _ in
            let channel = EmbeddedChannel(loop: loop)
            do {
                try UpstreamPool.addHandlers(to: channel)
                _ = channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8000))
            } catch {
                return loop.makeFailedFuture(error)
            }
            upstreams.append(UpstreamSide(channel: channel))
            return loop.makeSucceededFuture(channel)
        }
        let client = EmbeddedChannel(loop: loop)
        let peer = HeaderRewriter.Peer(address: peerAddress, isTrusted: trustedPeer)
        let context = ProxyContext(
            validator: Setup.context.validator, rewriter: Setup.context.rewriter, metrics: Setup.context.metrics,
            responseHeadTimeout: .seconds(30), logger: Setup.logger, isTrustedPeer: { _ in trustedPeer }, tracker: Setup.tracker)
        do {
            try ProxyServer.addHandlers(to: client, limits: Setup.configuration.client, context: context, pool: pool, peer: peer)
            _ = client.connect(to: try SocketAddress(ipAddress: peerAddress, port: 40000))
        } catch {
            preconditionFailure("the client pipeline could not be built: \(error)")
        }
        var released = Released(client: client, handler: try? client.pipeline.syncOperations.handler(type: ProxyServerHandler.self))
        let clientSide = ClientSide(requests: clientBytes)
        _ = try? client.writeInbound(client.allocator.buffer(bytes: clientBytes))
        // Answer what reached each upstream until nothing moves (each answer may release a
        // pipelined request), then let every timeout fire.
        for round in 0..<64 {
            loop.run()
            var moved = false
            var index = 0
            while index < upstreams.count {
                moved = upstreams[index].answer(peerAddress: peerAddress, trustedPeer: trustedPeer) || moved
                index += 1
            }
            clientSide.check(client)
            if !moved {
                if round < 63 { loop.advanceTime(by: .seconds(120)) }
                if !moved && round > 0 { break }
            }
        }
        clientSide.check(client)
        released.upstreams = upstreams.map { Released.Weak(value: $0.channel) }
        // The checking decoders are channels too: unclosed, each would keep itself alive.
        clientSide.finish()
        for upstream in upstreams { upstream.finish() }
        _ = try? client.finish(acceptAlreadyClosed: true)
        loop.run()
        try? loop.syncShutdownGracefully()
        upstreams.removeAll()
        return released
    }
}

/// The client's view: every response must re-parse (until a 101 turns the connection into a tunnel).
///
/// A response decoder must know the request each response answers (a response to HEAD has no
/// body), so the client's bytes are parsed once more, leniently, and their methods told to it in
/// order; one GET more stands for a request the proxy refused before it had a head (400, 408).
final class ClientSide {
    private let decoder = EmbeddedChannel(handler: ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)))
    private var tunnelled = false

    init(requests: UnsafeBufferPointer<UInt8>) {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 1 << 20
        limits.maxHeaderListSize = 1 << 20
        let parser = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)))
        _ = try? parser.writeInbound(parser.allocator.buffer(bytes: requests))
        var methods: [HTTPMethod] = []
        while let part = try? parser.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part { methods.append(head.method) }
        }
        _ = try? parser.finish(acceptAlreadyClosed: true)
        for method in methods + [.GET] {
            _ = try? decoder.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/")))
        }
    }

    func finish() {
        _ = try? decoder.finish(acceptAlreadyClosed: true)
    }

    func check(_ client: EmbeddedChannel) {
        while let data = try? client.readOutbound(as: IOData.self) {
            guard !tunnelled, case .byteBuffer(let buffer) = data else { continue }
            do {
                try decoder.writeInbound(buffer)
            } catch {
                preconditionFailure("the proxy sent the client a response that does not parse: \(error)")
            }
            while let part = try? decoder.readInbound(as: HTTPClientResponsePart.self) {
                if case .head(let head) = part, head.status == .switchingProtocols { tunnelled = true }
            }
        }
    }
}

/// One upstream connection: parses what the proxy sent with a strict decoder and answers each
/// complete request with a small response (101 to a WebSocket upgrade, once).
final class UpstreamSide {
    let channel: EmbeddedChannel
    private let decoder = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
    private var tunnelled = false
    private var upgradeRequested = false

    init(channel: EmbeddedChannel) {
        self.channel = channel
    }

    func finish() {
        _ = try? channel.finish(acceptAlreadyClosed: true)
        _ = try? decoder.finish(acceptAlreadyClosed: true)
    }

    /// Returns whether anything arrived.
    func answer(peerAddress: String, trustedPeer: Bool) -> Bool {
        var moved = false
        while let data = try? channel.readOutbound(as: IOData.self) {
            moved = true
            guard !tunnelled, case .byteBuffer(let buffer) = data else { continue }
            do {
                try decoder.writeInbound(buffer)
            } catch {
                preconditionFailure("the proxy sent the upstream a request that does not parse: \(error)")
            }
            while let part = try? decoder.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let head):
                    Self.check(head, peerAddress: peerAddress, trustedPeer: trustedPeer)
                    upgradeRequested = head.headers.contains(name: "upgrade")
                case .body:
                    break
                case .end:
                    let response =
                        upgradeRequested
                        ? "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"
                        : "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-user-id: fuzz-user\r\n\r\nok"
                    tunnelled = upgradeRequested
                    _ = try? channel.writeInbound(channel.allocator.buffer(string: response))
                }
            }
        }
        return moved
    }

    private static func check(_ head: HTTPRequestHead, peerAddress: String, trustedPeer: Bool) {
        precondition(head.headers["host"].count == 1, "upstream head without exactly one Host: \(head)")
        let forwardedFor = head.headers["x-forwarded-for"]
        precondition(forwardedFor.count == 1, "upstream head without exactly one X-Forwarded-For: \(head)")
        if !trustedPeer { precondition(forwardedFor == [peerAddress], "an untrusted client's X-Forwarded-For reached the upstream: \(head)") }
        for (name, _) in head.headers {
            precondition(!name.utf8.contains(UInt8(ascii: "_")), "a field name with an underscore reached the upstream: \(name)")
        }
    }
}
