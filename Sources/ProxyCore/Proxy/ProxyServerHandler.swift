import NIOCore
import NIOHTTP1

/// Proxies the requests of one client connection to the upstream, one at a time.
///
/// The connection's state is `machine` (`ProxyConnectionStateMachine`): every channel event and
/// every upstream event goes to it, and this handler performs the one action it returns, holding
/// only the I/O references (context, pool, upstream connection in use, timeouts).
///
/// A pipelined request (one that arrives before the current response is done) is held by the
/// machine, with reads paused, and replayed once the current response is complete. This is done
/// here rather than by NIO's `HTTPServerPipelineHandler`, which pauses and resumes reading around
/// every response: two `epoll_ctl` calls per request, a third of the proxy's system calls for
/// small responses. Request parts are written to an upstream connection of the same event loop as
/// they arrive, response parts are written back as they arrive; reads on either side pause while
/// the other side cannot take more (backpressure), so memory stays bounded whatever the body size.
///
/// Reentrancy: performing an action may deliver further events (a write that changes
/// writability, a close that makes a channel inactive, a pooled connection or an embedded
/// channel's future completing at once); the machine has already reached its next state when
/// an action is returned, so such events see a consistent state.
///
/// Threading: every method runs on the client channel's event loop, which is also the loop of the
/// upstream connection in use.
final class ProxyServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart
    typealias Machine = ProxyConnectionStateMachine

    let shared: ProxyContext
    let pool: UpstreamPool
    let timeouts: ClientTimeoutHandler
    let peer: HeaderRewriter.Peer
    let httpHandlers: [any RemovableChannelHandler]
    /// This connection's event loop's traffic counters (`system_metrics`); nil counts nothing.
    let traffic: LoopTraffic?
    /// This connection's event loop's list of finished tracked requests, which the activity
    /// builder takes; nil hands each activity over on its own (a loop outside the group, tests).
    let activityRows: LoopActivityRows?

    /// Nil once the handler left the pipeline (the connection closed, or became a tunnel): the
    /// context holds this handler, so keeping it after that would keep both, the channel with
    /// them, alive forever. Every use tolerates nil: late upstream events may still arrive.
    private(set) var context: ChannelHandlerContext?
    /// The connection's state.
    var machine: Machine
    /// The upstream connection in use: set exactly while the machine is `forwarding`.
    var upstream: UpstreamConnectionHandler?
    /// The tracker's random source for this connection's request and row ids.
    var random = ConnectionRandom()

    /// - Parameter httpHandlers: the HTTP handlers before this one, removed when the connection
    ///   becomes a tunnel.
    init(
        shared: ProxyContext, pool: UpstreamPool, timeouts: ClientTimeoutHandler, peer: HeaderRewriter.Peer, httpHandlers: [any RemovableChannelHandler],
        traffic: LoopTraffic? = nil, activityRows: LoopActivityRows? = nil
    ) {
        self.traffic = traffic
        self.activityRows = activityRows
        self.shared = shared
        self.pool = pool
        self.timeouts = timeouts
        self.peer = peer
        self.httpHandlers = httpHandlers
        self.machine = Machine(rewriter: shared.rewriter, maxBodyBytes: shared.validator.maxBodyBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        machine.handlerRemoved()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            perform(machine.requestHead(head) { self.prepare($0) })
        case .body(let buffer):
            perform(machine.requestBody(buffer))
        case .end(let trailers):
            perform(machine.requestEnd(trailers))
        }
    }

    /// Makes an accepted request head ready to start an exchange: the timeouts learn a head
    /// arrived, the validator judges it, the rewriter makes the upstream's head, the tracker
    /// matches it against the rules. The machine calls it only for a head it takes now.
    func prepare(_ head: HTTPRequestHead) -> Result<Machine.PreparedRequest, RequestRejection> {
        let verdict: RequestHeadValidator.Verdict
        switch shared.validator.validate(head) {
        case .failure(let rejection):
            timeouts.requestHeadReceived(bodyFollows: false)
            return .failure(rejection)
        case .success(let valid):
            verdict = valid
            timeouts.requestHeadReceived(bodyFollows: verdict.framing != .none)
        }
        var upstreamHead = shared.rewriter.upstreamHead(for: head, verdict: verdict, peer: peer)
        // Tracking reads the head the app receives, never the client's: a field the proxy dropped
        // (hop-by-hop, named by `Connection`, forged by an untrusted peer, spelt with `_`) names
        // no user and no address in the record.
        // `X-Forwarded-For` is read as the client sent it (trusted peers only), without the peer
        // the proxy appended: the resolver also gets the peer, and a chain that always exists
        // would hide a configured fallback source (`x_real_ip`, `forwarded`).
        // The tracker adds the request id it makes to the forwarded fields, so the app can log the
        // same id as the activity row.
        var activity: PendingActivity?
        if let tracker = shared.tracker {
            activity = tracker.begin(
                method: head.method.rawValue, target: upstreamHead.uri, headers: &upstreamHead.headers, peer: peer.address, random: &random,
                traffic: traffic)
        }
        return .success(Machine.PreparedRequest(verdict: verdict, upstreamHead: upstreamHead, activity: activity))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.flush()
        context.fireChannelReadComplete()
    }

    /// Holds client reads while no upstream connection can take the bytes (backpressure), and
    /// while a pipelined request waits for its turn: the machine decides.
    func read(context: ChannelHandlerContext) {
        perform(machine.read(upstreamWritable: upstream?.isWritable ?? true))
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
        perform(machine.clientClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            perform(machine.requestFailed(rejection(for: parserError)))
        } else {
            perform(machine.clientError())
        }
    }

    /// How the proxy answers a request the decoder could not parse.
    private func rejection(for error: HTTPParserError) -> RequestRejection {
        switch error {
        // The decoder counts the target against its header limit: a target longer than ours
        // is what overflowed it, 414 (checked first, as for a head the decoder accepts).
        case .headerOverflow where timeouts.requestLineBytes > shared.validator.maxURLBytes: .uriTooLong
        case .headerOverflow: .headersTooLarge
        case .invalidURL: .badRequest("invalid_target")
        case .invalidHeaderToken: .badRequest("invalid_header_value")
        case .invalidContentLength, .unexpectedContentLength: .badRequest("invalid_content_length")
        default: .badRequest("malformed_request")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ClientTimeoutHandler.ResponseHeadTimedOut {
            perform(machine.responseHeadTimedOut())
        } else if let timedOut = event as? ClientTimeoutHandler.ClientTimedOut {
            perform(machine.clientTimedOut(timedOut.kind))
        } else if event is ChannelShouldQuiesceEvent {
            perform(machine.shutdownRequested())
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
