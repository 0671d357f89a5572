import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// A response part from the upstream connection in use.
    func upstreamDidReceive(_ part: HTTPClientResponsePart) {
        guard state == .forwarding, let requestHead else { return }
        switch part {
        case .head(let head):
            if head.status == .switchingProtocols, verdict.isUpgrade, requestEnded {
                // The decoder reports the end of the 101 next; the switch happens then.
                switchingResponse = head
                return
            }
            timeouts.responseHeadReceived()
            if requestEnded { shared.metrics.upstreamLatency.recordNanoseconds((NIODeadline.now() - requestSentAt).nanoseconds) }
            // An answer before the request was fully read (e.g. 401 to an upload), or a refused
            // upgrade, leaves the client connection in an unknown state: close it after this response.
            if !requestEnded || verdict.isUpgrade { keepAlive = false }
            responseStarted = true
            status = Int(head.status.code)
            if pending != nil, shared.tracker?.readsResponseHeaders == true { pending?.responseHeaders = Array(head.headers) }
            let (clientHead, framing) = shared.rewriter.clientHead(
                for: head, requestVersion: requestHead.version, requestIsHead: requestHead.method == .HEAD,
                keepAlive: &keepAlive, upgrading: false)
            responseFraming = framing
            context?.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        case .body(let buffer):
            responseBodyBytes += buffer.readableBytes
            timeouts.wrote(buffer.readableBytes)
            context?.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            if let switchingResponse {
                self.switchingResponse = nil
                startTunnel(switchingResponse)
                return
            }
            detachUpstream(reuse: requestEnded)
            let trailers = responseFraming == .chunked ? shared.rewriter.forwardedTrailers(trailers) : nil
            finishRequest(end: .end(trailers))
        }
    }

    func upstreamDidReadComplete() {
        if state == .forwarding { context?.flush() }
    }

    /// The upstream connection in use closed before its response was complete.
    func upstreamDidClose(_ handler: UpstreamConnectionHandler) {
        guard state == .forwarding, upstream === handler else { return }
        upstream = nil
        if responseStarted {
            // The response is cut short and its framing cannot be completed: the client must see
            // the connection close, never a silently truncated body.
            shared.metrics.upstreamAborts.increment()
            recordActivity(completed: false)
            state = .closed
            context?.flush()
            context?.close(promise: nil)
            return
        }
        if upstreamWasReused, attempts == 0, requestEnded, verdict.framing == .none, requestHead?.method.isIdempotent ?? false {
            // A pooled connection the upstream closed just as we reused it: nothing reached the
            // application that could have had an effect, so try once more on a fresh connection.
            attempts += 1
            pendingParts = [.end(nil)]  // the whole request again: its head, and no body
            connectUpstream()
            return
        }
        shared.metrics.upstreamAborts.increment()
        respondWithError(.badGateway, closeConnection: !requestEnded)
    }

    /// Answers the current request from the proxy itself (400, 413, 502, 504, …).
    func respondWithError(_ status: HTTPResponseStatus, closeConnection: Bool) {
        guard let context, state != .closed, state != .tunnelling, !responseStarted else {
            context?.close(promise: nil)
            return
        }
        timeouts.responseHeadReceived()
        detachUpstream(reuse: false)
        let version = requestHead?.version ?? .http1_1
        if closeConnection || !(requestHead?.isKeepAlive ?? false) { keepAlive = false }
        let body = "\(status.code) \(status.reasonPhrase)\n"
        var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("content-length", String(body.utf8.count))])
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        self.status = Int(status.code)
        responseStarted = true
        responseFraming = .contentLength
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        // A response to HEAD carries the length of the body it would have, not the body (RFC 9110 §9.3.2).
        if requestHead?.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        if keepAlive && requestEnded {
            finishRequest(end: .end(nil))
        } else {
            // The rest of the request (if any) is not read; the connection closes after the answer.
            timeouts.requestEnded()
            recordActivity(completed: true)
            state = .discarding
            keepAlive = false
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Completes the current exchange: counts it, resets the per-request state, then writes the
    /// response end, then handles any pipelined request that was waiting. The reset comes first:
    /// the next request re-enters this handler before this function returns.
    func finishRequest(end: HTTPServerResponsePart) {
        recordActivity(completed: true)
        shared.metrics.countRequest(method: requestHead?.method ?? .GET, status: status)
        shared.metrics.receivedBytes.increment(by: Int64(requestBodyBytes))
        shared.metrics.sentBytes.increment(by: Int64(responseBodyBytes))
        let closeAfter = !keepAlive || quiescing
        requestHead = nil
        upstreamHead = nil
        requestEnded = false
        pendingParts.removeAll(keepingCapacity: true)
        attempts = 0
        responseStarted = false
        keepAlive = true
        status = 0
        switchingResponse = nil
        requestBodyBytes = 0
        responseBodyBytes = 0
        if closeAfter {
            state = .discarding
            timeouts.requestEnded()
            if let context {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(end)).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
            }
        } else {
            state = .idle
            timeouts.responseCompleted()
            context?.writeAndFlush(wrapOutboundOut(end), promise: nil)
            // Pipelined input waiting for this response, and any read held back meanwhile (also
            // one held while the upstream was slow to take the body), go on now; otherwise the
            // connection would never read its next request.
            drainPipelined()
        }
    }
}

extension ProxyServerHandler {
    /// Hands the current request's activity (if it matched a rule) to the tracker, once.
    func recordActivity(completed: Bool) {
        guard let pending else { return }
        self.pending = nil
        shared.tracker?.finish(
            pending,
            CompletedExchange(status: status, requestBytes: requestBodyBytes, responseBytes: responseBodyBytes, completed: completed),
            random: &random)
    }
}

extension HTTPMethod {
    /// RFC 9110 §9.2.2: repeating the request has the same effect as sending it once.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: true
        default: false
        }
    }
}
