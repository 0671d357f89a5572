import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// Turns the client connection and the upstream connection into a byte-for-byte tunnel after
    /// the upstream accepted an upgrade with 101 and finished that response.
    ///
    /// The order matters: the 101 is written through the HTTP encoder first; then every HTTP
    /// handler except the two decoders goes, the tunnel ends are added, and the decoders go last,
    /// handing any bytes they already hold (the first frames) to the tunnel. A decoder leaves the
    /// pipeline one event-loop turn after it is asked to, in the order asked; the upstream's goes
    /// first: it also watches outbound writes (as `HTTPClientRequestPart`), and the client's bytes
    /// it would meet on their way upstream are only bytes by then (that trapped, found by fuzzing).
    /// The machine made sure nothing was parsed after the upgrade request (no pipelined input):
    /// parts the decoder still delivered would reach the tunnel as HTTP parts.
    func startTunnel(_ clientHead: HTTPResponseHead, method: HTTPMethod) {
        guard let context, let upstreamHandler = upstream, let upstreamChannel = upstreamHandler.channel else {
            detachUpstream(reuse: false)
            context?.close(promise: nil)
            return
        }
        shared.metrics.countRequest(method: method, status: 101)
        traffic?.countRequest(status: 101, bytesIn: 0, bytesOut: 0)
        context.writeAndFlush(wrapOutboundOut(.head(clientHead)), promise: nil)
        timeouts.stop()
        upstream = nil
        upstreamHandler.exchange = nil

        let clientEnd = TunnelHandler()
        let upstreamEnd = TunnelHandler()
        clientEnd.partner = upstreamEnd
        upstreamEnd.partner = clientEnd
        do {
            let client = context.pipeline.syncOperations
            let upstreamPipeline = upstreamChannel.pipeline.syncOperations
            let clientDecoder = httpHandlers.first { $0 is ByteToMessageHandler<HTTPRequestDecoder> }
            let upstreamDecoder = try upstreamPipeline.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self)

            try client.addHandler(clientEnd)
            try upstreamPipeline.addHandler(upstreamEnd)
            for handler in httpHandlers where !(handler is ByteToMessageHandler<HTTPRequestDecoder>) {
                client.removeHandler(handler, promise: nil)
            }
            upstreamPipeline.removeHandler(upstreamHandler, promise: nil)
            upstreamPipeline.removeHandler(try upstreamPipeline.handler(type: HTTPRequestEncoder.self), promise: nil)
            // Bytes a decoder still held reach the other side as reads with no read-complete to
            // flush them: flushed here once both decoders are gone.
            let clientChannel = context.channel
            let upstreamDecoderRemoved = upstreamChannel.eventLoop.makePromise(of: Void.self)
            let clientDecoderRemoved = clientChannel.eventLoop.makePromise(of: Void.self)
            upstreamPipeline.removeHandler(upstreamDecoder, promise: upstreamDecoderRemoved)
            if let clientDecoder {
                client.removeHandler(clientDecoder, promise: clientDecoderRemoved)
            } else {
                clientDecoderRemoved.succeed()
            }
            upstreamDecoderRemoved.futureResult.and(clientDecoderRemoved.futureResult).whenComplete { _ in
                upstreamChannel.flush()
                clientChannel.flush()
            }
            client.removeHandler(context: context, promise: nil)
            upstreamChannel.read()
            clientChannel.read()
        } catch {
            shared.logger.warning("could not switch to a tunnel", metadata: ["error.message": "\(error)"])
            upstreamChannel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}
