import NIOCore
import NIOHTTP1

/// Proxies the requests of one client connection to the upstream, one at a time.
///
/// A pipelined request (one that arrives before the current response is done) is held in
/// `pipelined`, with reads paused, and handled once the current response is complete. This is done
/// here rather than by NIO's `HTTPServerPipelineHandler`, which pauses and resumes reading around
/// every response: two `epoll_ctl` calls per request, a third of the proxy's system calls for
/// small responses. Request parts are written to
/// an upstream connection of the same event loop as they arrive, response parts are written back
/// as they arrive; reads on either side pause while the other side cannot take more
/// (backpressure), so memory stays bounded whatever the body size.
///
/// Threading: every method runs on the client channel's event loop, which is also the loop of the
/// upstream connection in use.
final class ProxyServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Waiting for the next request head.
        case idle
        /// A request head arrived; an upstream connection is being opened.
        case connecting
        /// The request is being forwarded on `upstream` and/or its response relayed.
        case forwarding
        /// The proxy answered the request itself; the rest of the request is discarded.
        case discarding
        /// Bytes are relayed both ways after a 101 (WebSocket); HTTP handlers are gone.
        case tunnelling
        /// The client connection is gone or going.
        case closed
    }

    let shared: ProxyContext
    let pool: UpstreamPool
    let timeouts: ClientTimeoutHandler
    let peer: HeaderRewriter.Peer
    let httpHandlers: [any RemovableChannelHandler]

    /// Nil once the handler left the pipeline (the connection closed, or became a tunnel): the
    /// context holds this handler, so keeping it after that would keep both, the channel with
    /// them, alive forever. Every use tolerates nil: late upstream events may still arrive.
    private(set) var context: ChannelHandlerContext?
    var state = State.idle
    var upstream: UpstreamConnectionHandler?

    // The request in progress; reset by `finishRequest`.
    var requestSerial = 0
    var requestHead: HTTPRequestHead?
    var upstreamHead: HTTPRequestHead?
    var verdict = RequestHeadValidator.Verdict(framing: .none, expectsContinue: false, isUpgrade: false)
    var requestEnded = false
    var pendingParts: [HTTPClientRequestPart] = []
    var upstreamWasReused = false
    var attempts = 0
    var readPending = false
    var responseStarted = false
    var responseFraming = HeaderRewriter.ResponseFraming.none
    var keepAlive = true
    var status = 0
    var requestBodyBytes = 0
    var responseBodyBytes = 0
    var requestSentAt = NIODeadline.distantPast
    var switchingResponse: HTTPResponseHead?
    /// The current request's activity-to-be, when it matched a rule.
    var pending: PendingActivity?
    /// Request and row ids of this connection's activities.
    var random = ConnectionRandom()
    var pipelined: [PipelinedEvent] = []
    /// Graceful shutdown asked this connection to close after its current response.
    var quiescing = false

    /// - Parameter httpHandlers: the HTTP handlers before this one, removed when the connection
    ///   becomes a tunnel.
    init(shared: ProxyContext, pool: UpstreamPool, timeouts: ClientTimeoutHandler, peer: HeaderRewriter.Peer, httpHandlers: [any RemovableChannelHandler]) {
        self.shared = shared
        self.pool = pool
        self.timeouts = timeouts
        self.peer = peer
        self.httpHandlers = httpHandlers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if state != .tunnelling { state = .closed }
        self.context = nil
    }

    /// Something that arrived for a request after the current one.
    enum PipelinedEvent {
        case part(HTTPServerRequestPart)
        case error(any Error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if belongsToLaterRequest {
            pipelined.append(.part(part))
        } else {
            receive(part)
        }
    }

    func receive(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            receiveHead(head)
        case .body(let buffer):
            receiveBody(buffer)
        case .end(let trailers):
            receiveEnd(trailers)
        }
    }

    private func receiveHead(_ head: HTTPRequestHead) {
        switch state {
        case .idle:
            break
        case .discarding, .closed:
            // The proxy answered a request itself and closes the connection: whatever the client
            // sent after it (a pipelined request) is dropped unread.
            return
        case .connecting, .forwarding, .tunnelling:
            // `channelRead` holds later requests in `pipelined`; anything else is a bug here.
            assertionFailure("request head in state \(state)")
            context?.close(promise: nil)
            return
        }
        requestSerial &+= 1
        requestHead = head
        switch shared.validator.validate(head) {
        case .failure(let rejection):
            timeouts.requestHeadReceived(bodyFollows: false)
            shared.metrics.countRejection(rejection.reason)
            respondWithError(rejection.status, closeConnection: rejection.closeConnection)
            return
        case .success(let verdict):
            self.verdict = verdict
            timeouts.requestHeadReceived(bodyFollows: verdict.framing != .none)
        }
        keepAlive = head.isKeepAlive && !quiescing && !verdict.endsHTTP
        var upstreamHead = shared.rewriter.upstreamHead(for: head, verdict: verdict, peer: peer)
        // Tracking reads the head the app receives, never the client's: a field the proxy dropped
        // (hop-by-hop, named by `Connection`, forged by an untrusted peer, spelt with `_`) names
        // no user and no address in the record.
        // `X-Forwarded-For` is read as the client sent it (trusted peers only), without the peer
        // the proxy appended: the resolver also gets the peer, and a chain that always exists
        // would hide a configured fallback source (`x_real_ip`, `forwarded`).
        if let tracker = shared.tracker,
            let pending = tracker.begin(
                method: head.method.rawValue, target: upstreamHead.uri,
                headers: HeaderRewriter.receivedFields(of: upstreamHead.headers, peer: peer.address), peer: peer.address, random: &random)
        {
            self.pending = pending
            // The app can log the same id as the activity row.
            if pending.madeRequestID {
                upstreamHead.headers.add(name: tracker.requestIDHeader, value: pending.requestID)
            }
        }
        self.upstreamHead = upstreamHead
        if verdict.expectsContinue {
            context?.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        if let idle = pool.takeIdle() {
            // Called from `channelRead` or `drainPipelined`, both of which flush afterwards.
            attach(idle, reused: true, flush: false)
        } else {
            connectUpstream()
        }
    }

    private func receiveBody(_ buffer: ByteBuffer) {
        requestBodyBytes += buffer.readableBytes
        if let limit = shared.validator.maxBodyBytes, requestBodyBytes > limit, state == .connecting || state == .forwarding {
            shared.metrics.countRejection(RequestRejection.bodyTooLarge.reason)
            detachUpstream(reuse: false)
            if responseStarted { context?.close(promise: nil) } else { respondWithError(.payloadTooLarge, closeConnection: true) }
            return
        }
        switch state {
        case .connecting: pendingParts.append(.body(.byteBuffer(buffer)))
        case .forwarding: upstream?.write(.body(.byteBuffer(buffer)))
        default: break
        }
    }

    private func receiveEnd(_ trailers: HTTPHeaders?) {
        requestEnded = true
        timeouts.requestEnded()
        let end = HTTPClientRequestPart.end(verdict.framing == .chunked ? shared.rewriter.forwardedTrailers(trailers) : nil)
        switch state {
        case .connecting:
            pendingParts.append(end)
        case .forwarding:
            upstream?.write(end)
            requestFullySent()
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .forwarding { upstream?.flush() }
        context.fireChannelReadComplete()
    }

    /// Holds client reads while no upstream connection can take the bytes (backpressure), and
    /// while a pipelined request waits for its turn.
    func read(context: ChannelHandlerContext) {
        if !pipelined.isEmpty {
            readPending = true
            return
        }
        // After an upgrade request the decoder parses nothing more and would keep every byte read:
        // nothing is read until the tunnel opens (or the connection closes after the response).
        if verdict.endsHTTP, requestEnded, state != .idle {
            readPending = true
            return
        }
        switch state {
        case .connecting:
            readPending = true
        case .forwarding where !(upstream?.isWritable ?? true):
            readPending = true
        default:
            requestClientRead()
        }
    }

    /// Asks the channel for more client bytes (and lets the body timeout know the proxy waits).
    func requestClientRead() {
        timeouts.readRequested()
        context?.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.resumeReads() } else { upstream?.pauseReads() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if responseStarted { recordActivity(completed: false) }  // the client left mid-response
        pending = nil
        state = .closed
        timeouts.stop()
        if let upstream {
            self.upstream = nil
            upstream.close()  // its request was cut short: never reuse
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if belongsToLaterRequest, error is HTTPParserError {
            pipelined.append(.error(error))  // answered once the current response is done
        } else {
            handleError(error)
        }
    }

    func handleError(_ error: any Error) {
        guard let parserError = error as? HTTPParserError, state == .idle || state == .connecting || state == .forwarding,
            !responseStarted
        else {
            context?.close(promise: nil)
            return
        }
        let rejection: RequestRejection =
            switch parserError {
            // The decoder counts the target against its header limit: a target longer than ours
            // is what overflowed it, 414 (checked first, as for a head the decoder accepts).
            case .headerOverflow where timeouts.requestLineBytes > shared.validator.maxURLBytes: .uriTooLong
            case .headerOverflow: .headersTooLarge
            case .invalidURL: .badRequest("invalid_target")
            case .invalidHeaderToken: .badRequest("invalid_header_value")
            case .invalidContentLength, .unexpectedContentLength: .badRequest("invalid_content_length")
            default: .badRequest("malformed_request")
            }
        shared.metrics.countRejection(rejection.reason)
        detachUpstream(reuse: false)
        respondWithError(rejection.status, closeConnection: true)
    }
}
