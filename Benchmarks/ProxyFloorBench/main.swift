// The floor under the proxy benchmark: the least a SwiftNIO reverse proxy does per request,
// measured next to nginx and trackingproxy by `bench/proxy.sh`. Not a product: no limits, no
// timeouts, no validation, no header rewriting, no pool, no metrics, no tracking.
//
//   proxy-floor-bench http PORT UPSTREAM_PORT   NIOHTTP1 codecs on both sides; every request and
//                                               response part is forwarded as decoded
//   proxy-floor-bench tcp PORT UPSTREAM_PORT    bytes relayed as read, no HTTP parsing at all
//
// Each client connection gets its own upstream connection on its event loop, opened when the
// client connects. Two event loops, as trackingproxy uses.
import NIOCore
import NIOHTTP1
import NIOPosix

/// Writes what its channel reads to the partner channel, converted, and flushes the partner at the
/// end of each read burst. Both channels of a pair share one event loop.
final class Relay<In, Out>: ChannelInboundHandler {
    typealias InboundIn = In
    let convert: (In) -> Out
    var partner: ChannelHandlerContext?

    init(convert: @escaping (In) -> Out) { self.convert = convert }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.write(NIOAny(convert(unwrapInboundIn(data))), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.flush() }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.close(promise: nil)
        partner = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// Adds `first` to `channel`'s pipeline and `second` to `partner`'s, each writing to the other's context.
func link<A, B, C, D>(_ first: Relay<A, B>, on channel: any Channel, _ second: Relay<C, D>, on partner: any Channel) throws {
    try channel.pipeline.syncOperations.addHandler(first)
    try partner.pipeline.syncOperations.addHandler(second)
    first.partner = try partner.pipeline.syncOperations.context(handler: second)
    second.partner = try channel.pipeline.syncOperations.context(handler: first)
}

enum Mode: String { case http, tcp }

let arguments = CommandLine.arguments
guard arguments.count == 4, let mode = Mode(rawValue: arguments[1]), let port = Int(arguments[2]), let upstreamPort = Int(arguments[3])
else {
    print("usage: proxy-floor-bench http|tcp PORT UPSTREAM_PORT")
    exit(2)
}

@Sendable func pair(_ client: any Channel) -> EventLoopFuture<Void> {
    ClientBootstrap(group: client.eventLoop)
        .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        .connect(host: "127.0.0.1", port: upstreamPort)
        .flatMapThrowing { upstream in
            switch mode {
            case .tcp:
                try link(Relay<ByteBuffer, ByteBuffer> { $0 }, on: client, Relay<ByteBuffer, ByteBuffer> { $0 }, on: upstream)
            case .http:
                try client.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                try client.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
                try upstream.pipeline.syncOperations.addHandler(HTTPRequestEncoder())
                try upstream.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)))
                let requests = Relay<HTTPServerRequestPart, HTTPClientRequestPart> { part in
                    switch part {
                    case .head(let head): .head(head)
                    case .body(let buffer): .body(.byteBuffer(buffer))
                    case .end(let trailers): .end(trailers)
                    }
                }
                let responses = Relay<HTTPClientResponsePart, HTTPServerResponsePart> { part in
                    switch part {
                    case .head(let head): .head(head)
                    case .body(let buffer): .body(.byteBuffer(buffer))
                    case .end(let trailers): .end(trailers)
                    }
                }
                try link(requests, on: client, responses, on: upstream)
            }
        }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { pair($0) }
    .bind(host: "127.0.0.1", port: port)
    .wait()
print("proxy-floor-bench \(mode.rawValue) on 127.0.0.1:\(port) -> 127.0.0.1:\(upstreamPort)")
try server.closeFuture.wait()
