import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// Writes the proxy's own answer (400, 408, 413, 502, 504, …) and completes the exchange.
    func respond(_ answer: Machine.Answer) {
        count(answer.incident)
        detachUpstream(reuse: false)
        guard let context else { return }
        timeouts.responseHeadReceived()
        let status = answer.status
        let body = "\(status.code) \(status.reasonPhrase)\n"
        var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("content-length", String(body.utf8.count))])
        headers.add(name: "connection", value: answer.keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: answer.version, status: status, headers: headers))), promise: nil)
        // A response to HEAD carries the length of the body it would have, not the body (RFC 9110 §9.3.2).
        if answer.includesBody {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        finish(answer.completion, end: .end(nil))
    }

    /// Ends an exchange whose response is written up to `end`: records and counts it, writes
    /// `end`, then closes the connection or replays any pipelined request that was waiting. The
    /// machine is already in its next state: the next request re-enters this handler before this
    /// function returns.
    func finish(_ completion: Machine.Completion, end: HTTPServerResponsePart) {
        record(completion.activity)
        if let counted = completion.counted {
            shared.metrics.countRequest(method: counted.method, status: counted.status)
            shared.metrics.receivedBytes.increment(by: Int64(counted.requestBytes))
            shared.metrics.sentBytes.increment(by: Int64(counted.responseBytes))
            traffic?.countRequest(status: counted.status, bytesIn: counted.requestBytes, bytesOut: counted.responseBytes)
        }
        if completion.closeConnection {
            timeouts.requestEnded()
            if let context {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(end)).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
            }
        } else {
            timeouts.responseCompleted()
            context?.writeAndFlush(wrapOutboundOut(end), promise: nil)
            drainPipelined()
        }
    }
}
