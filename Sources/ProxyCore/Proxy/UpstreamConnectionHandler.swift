import NIOCore
import NIOHTTP1

/// The last handler of one keep-alive connection to the upstream.
///
/// While a request uses the connection, `exchange` is the client connection's `ProxyServerHandler`
/// and every response part goes straight to it, on the same event loop (the pool only hands out
/// connections of the caller's loop). While idle in the pool, any byte from the upstream means the
/// connection is unusable and it is closed.
///
/// Threading: all methods run on the channel's event loop.
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The request currently using this connection; nil while idle.
    var exchange: ProxyServerHandler?
    /// When the connection was last given back to the pool.
    var idleSince = NIODeadline.now()
    /// Whether the last response allowed the connection to be reused.
    private(set) var responseAllowsReuse = true

    private var context: ChannelHandlerContext?
    private var holdingReads = false
    private var readPending = false

    var isActive: Bool { context?.channel.isActive ?? false }
    var isWritable: Bool { context?.channel.isWritable ?? false }
    var channel: (any Channel)? { context?.channel }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard let exchange else {
            context.close(promise: nil)  // an idle connection must stay silent
            return
        }
        if case .head(let head) = part { responseAllowsReuse = head.isKeepAlive }
        exchange.upstreamDidReceive(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstreamDidReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let exchange = self.exchange
        self.exchange = nil
        exchange?.upstreamDidClose(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed response or an I/O error: the connection cannot be trusted. Closing it makes
        // `channelInactive` report the failure to the exchange.
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if holdingReads {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Stops reading response bytes while the client cannot take more (backpressure).
    func pauseReads() {
        holdingReads = true
    }

    /// Reads again once the client can take more.
    func resumeReads() {
        holdingReads = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    /// Starts a request on this connection.
    func begin(_ exchange: ProxyServerHandler) {
        self.exchange = exchange
        responseAllowsReuse = true
        resumeReads()
    }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        exchange = nil
        context?.close(promise: nil)
    }
}
