import NIOCore
import NIOHTTP1

/// The life of one client connection of the proxy, as a value: the exchange in progress (a
/// request and its response) and how far each side of it got, the input that arrived for later
/// requests, and what the connection must do next. Every event is a `mutating func` that returns
/// one `Action`; `ProxyServerHandler` performs it and keeps no connection state of its own.
///
/// States: `idle` → `acquiring` (the request head arrived, an upstream connection is being found:
/// a pooled one, else a fresh one) → `forwarding` (request parts go upstream as they arrive,
/// response parts come back) → `idle` again after a keep-alive response; or `discarding` (the last
/// response is being written and the connection closes after it; what the client still sends is
/// dropped), `tunnelling` after a 101, `closed`.
///
/// Invariants:
/// - At most one exchange is in flight: it lives in the `acquiring` or `forwarding` case and
///   nowhere else. Input for a later request (the client pipelines) waits in `pipelined`, client
///   reads held, until the exchange completes, and is then replayed in order.
/// - A response starts at most once. The proxy answers itself (`respond`) only while no response
///   byte went to the client; after that any failure closes the connection, so the client sees
///   the close, never a silently truncated body.
/// - The connection closes after a response when keep-alive is off (the client asked for it, the
///   body is close-delimited, the request was not fully read when the answer came, an upgrade was
///   refused) or a graceful shutdown is in progress (`quiescing`).
/// - A request pipelined behind one the proxy refused (the connection closes after that answer)
///   is dropped unread.
/// - An upstream connection goes back to the pool only from a complete exchange whose request was
///   fully sent (`completeResponse(reuseUpstream: true)`); every other end of an exchange closes it.
/// - A request is retried at most once, on a fresh connection, and only when a reused pooled
///   connection closed before any response byte and the request was fully sent, has no body and
///   is idempotent: nothing that could have had an effect reached the application.
/// - A tracked exchange's activity is handed on at most once: completed, or cut short (the
///   upstream or the client broke off a started response), or never (the client stalled its body:
///   the app never had the whole request; or the exchange became a tunnel).
///
/// No I/O and no clock: tests drive it event by event. Not thread-safe: the handler owns it and
/// calls it on its channel's event loop only.
struct ProxyConnectionStateMachine {
    /// Where the connection is. Cases carry the data that exists in them.
    enum State {
        /// Waiting for the next request head.
        case idle
        /// A request head arrived; waiting for an upstream connection. Request parts that arrive
        /// meanwhile are kept in the `BufferedRequest`.
        case acquiring(Exchange, BufferedRequest)
        /// The request goes upstream on the connection in use and its response comes back.
        case forwarding(Exchange)
        /// A last response is being written; the connection closes once it is.
        case discarding(Discarding)
        /// Bytes are relayed both ways after a 101; the handler has left the pipeline.
        case tunnelling
        /// The connection is gone or going.
        case closed
        /// Only while a transition rewrites the buffered request in place, so that its buffers
        /// are not copied on write.
        case modifying
    }

    /// The exchange in progress: what the proxy knows of the request and of its response.
    ///
    /// A class, the one reference type of the machine: a state case holds it and a transition
    /// updates it in place. As a struct (about 130 bytes: the upstream head, the method, the
    /// response) every event copied it out of its case and back, retaining and releasing each of
    /// its references, and the profile of a small GET showed those copies as `memmove` and
    /// outlined copies: the machine cost 7–9 % more proxy CPU per request than the handler's
    /// mutable properties it replaced (BENCHMARKS.md, "Architecture"). Owned by the machine: only
    /// the case it is in and a `Completion` in flight refer to it, both on the connection's event
    /// loop, and nothing changes it after the exchange ends.
    final class Exchange {
        let method: HTTPMethod
        let version: HTTPVersion
        /// Whether the client's head asks to keep the connection (`Connection`, version).
        let clientKeepAlive: Bool
        let verdict: RequestHeadValidator.Verdict
        /// The head as sent upstream, kept for a retry on a fresh connection.
        let upstreamHead: HTTPRequestHead
        /// The activity-to-be, when the request matched a rule.
        var activity: PendingActivity?
        /// Whether the connection stays open after this response; turned off along the way
        /// (early answer, refused upgrade, close-delimited body, shutdown).
        var keepAlive: Bool
        var requestEnded = false
        /// Whether the upstream connection in use came from the pool.
        var upstreamReused = false
        var retried = false
        var response = Response.awaitingHead
        var requestBodyBytes = 0
        var responseBodyBytes = 0

        init(
            method: HTTPMethod, version: HTTPVersion, clientKeepAlive: Bool, verdict: RequestHeadValidator.Verdict,
            upstreamHead: HTTPRequestHead, activity: PendingActivity?, keepAlive: Bool
        ) {
            self.method = method
            self.version = version
            self.clientKeepAlive = clientKeepAlive
            self.verdict = verdict
            self.upstreamHead = upstreamHead
            self.activity = activity
            self.keepAlive = keepAlive
        }

        /// Whether a request head, and a request that is sent again, could do no harm: no body,
        /// idempotent, fully sent once already.
        var isRetryable: Bool {
            upstreamReused && !retried && requestEnded && verdict.framing == .none && method.isIdempotent
        }
    }

    /// How far the upstream's response got.
    enum Response {
        case awaitingHead
        /// The upstream accepted the upgrade (101); the tunnel opens when that response ends.
        /// Nothing went to the client yet.
        case switching(HTTPResponseHead)
        /// The response head went to the client; body parts follow.
        case streaming(status: Int, framing: HeaderRewriter.ResponseFraming)

        /// Whether a response byte went to the client.
        var hasStarted: Bool {
            if case .streaming = self { return true }
            return false
        }

        var status: Int {
            if case .streaming(let status, _) = self { return status }
            return 0
        }
    }

    /// Request parts that arrived before an upstream connection did.
    struct BufferedRequest {
        var body: [ByteBuffer] = []
        /// The end's trailers as they will be forwarded (once `requestEnded`).
        var trailers: HTTPHeaders?
    }

    /// What is left of a request whose connection closes after its last response.
    struct Discarding {
        /// The request was an upgrade: the decoder parses nothing after its end and would keep
        /// every byte read, so reads stop once it ended.
        var endsHTTP: Bool
        var requestEnded: Bool
    }

    /// Input that arrived for a request after the current one.
    enum PipelinedEvent {
        case head(HTTPRequestHead)
        case body(ByteBuffer)
        case end(HTTPHeaders?)
        case error(RequestRejection)
    }

    /// What the handler prepares from a request head the machine accepts: the validator's
    /// verdict, the head to send upstream, the activity-to-be.
    struct PreparedRequest {
        var verdict: RequestHeadValidator.Verdict
        var upstreamHead: HTTPRequestHead
        var activity: PendingActivity?
    }

    private(set) var state = State.idle
    /// Input for later requests, in arrival order.
    private(set) var pipelined: [PipelinedEvent] = []
    /// A client read was asked for and held back; it is issued once input can be taken.
    private(set) var readPending = false
    /// Graceful shutdown asked the connection to close after its current response.
    private(set) var quiescing = false
    /// Numbers exchanges, so that a connection arriving for an exchange that is over goes back.
    private(set) var serial = 0

    let rewriter: HeaderRewriter
    let maxBodyBytes: Int?

    init(rewriter: HeaderRewriter, maxBodyBytes: Int?) {
        self.rewriter = rewriter
        self.maxBodyBytes = maxBodyBytes
    }
}

// MARK: - Client input

extension ProxyConnectionStateMachine {
    /// Whether input now belongs to a request after the current one (the client pipelines).
    private var belongsToLaterRequest: Bool {
        switch state {
        case .idle: !pipelined.isEmpty
        case .acquiring(let exchange, _), .forwarding(let exchange): exchange.requestEnded || !pipelined.isEmpty
        case .discarding, .tunnelling, .closed, .modifying: false
        }
    }

    /// Whether input now belongs to the current request, or starts the next one while idle.
    private var acceptsInputNow: Bool {
        switch state {
        case .idle: true
        case .acquiring(let exchange, _), .forwarding(let exchange): !exchange.requestEnded
        case .discarding, .tunnelling, .closed, .modifying: false
        }
    }

    /// A request head arrived. `prepare` runs only when the head starts an exchange (never for a
    /// head that is held for later or dropped): it validates the head, arms the timeouts, rewrites
    /// the head for upstream and matches it against the rules.
    mutating func requestHead(
        _ head: HTTPRequestHead, prepare: (HTTPRequestHead) -> Result<PreparedRequest, RequestRejection>
    ) -> Action {
        if belongsToLaterRequest {
            pipelined.append(.head(head))
            return .none
        }
        return receiveHead(head, prepare: prepare)
    }

    /// A part of the request body arrived.
    mutating func requestBody(_ buffer: ByteBuffer) -> Action {
        if belongsToLaterRequest {
            pipelined.append(.body(buffer))
            return .none
        }
        return receiveBody(buffer)
    }

    /// The request ended (with trailers after a chunked body).
    mutating func requestEnd(_ trailers: HTTPHeaders?) -> Action {
        if belongsToLaterRequest {
            pipelined.append(.end(trailers))
            return .none
        }
        return receiveEnd(trailers)
    }

    /// The request decoder failed; `rejection` says how to answer (400, 414, 431).
    mutating func requestFailed(_ rejection: RequestRejection) -> Action {
        if belongsToLaterRequest {
            pipelined.append(.error(rejection))  // answered once the current response is done
            return .none
        }
        return receiveFailure(rejection)
    }

    /// Any other error on the client connection: nothing on it can be trusted.
    mutating func clientError() -> Action {
        close(incident: nil)
    }

    private mutating func receiveHead(
        _ head: HTTPRequestHead, prepare: (HTTPRequestHead) -> Result<PreparedRequest, RequestRejection>
    ) -> Action {
        switch state {
        case .idle:
            break
        case .discarding, .closed:
            // The connection closes after the proxy's answer: a request pipelined behind it is
            // dropped unread.
            return .none
        case .acquiring, .forwarding, .tunnelling, .modifying:
            // Later requests wait in `pipelined`; a head here is a bug in the machine.
            assertionFailure("request head in state \(state)")
            return close(incident: nil)
        }
        serial &+= 1
        switch prepare(head) {
        case .failure(let rejection):
            // Every rejection closes the connection: what follows the head cannot be framed.
            return answer(rejection.status, incident: .rejected(rejection.reason), request: (head.method, head.version))
        case .success(let prepared):
            let verdict = prepared.verdict
            let exchange = Exchange(
                method: head.method, version: head.version, clientKeepAlive: head.isKeepAlive, verdict: verdict,
                upstreamHead: prepared.upstreamHead, activity: prepared.activity,
                keepAlive: head.isKeepAlive && !quiescing && !verdict.endsHTTP)
            state = .acquiring(exchange, BufferedRequest())
            return .acquireUpstream(serial: serial, sendContinue: verdict.expectsContinue ? head.version : nil)
        }
    }

    private mutating func receiveBody(_ buffer: ByteBuffer) -> Action {
        switch state {
        case .acquiring(let exchange, var buffered):
            state = .modifying
            exchange.requestBodyBytes &+= buffer.readableBytes  // cannot wrap: 2^63 bytes
            if let limit = maxBodyBytes, exchange.requestBodyBytes > limit {
                return bodyTooLarge(exchange)
            }
            buffered.body.append(buffer)
            state = .acquiring(exchange, buffered)
            return .none
        case .forwarding(let exchange):
            exchange.requestBodyBytes &+= buffer.readableBytes
            if let limit = maxBodyBytes, exchange.requestBodyBytes > limit {
                return bodyTooLarge(exchange)
            }
            return .forwardRequestBody(buffer)
        case .idle, .discarding, .tunnelling, .closed, .modifying:
            return .none
        }
    }

    /// The body went past `client.max_body_bytes`: 413, or a close once a response started.
    private mutating func bodyTooLarge(_ exchange: Exchange) -> Action {
        let incident = Incident.rejected(RequestRejection.bodyTooLarge.reason)
        if exchange.response.hasStarted {
            return close(incident: incident, exchange: exchange)
        }
        return answer(.payloadTooLarge, closeConnection: true, incident: incident, exchange: exchange)
    }

    private mutating func receiveEnd(_ trailers: HTTPHeaders?) -> Action {
        switch state {
        case .acquiring(let exchange, var buffered):
            state = .modifying
            exchange.requestEnded = true
            buffered.trailers = forwardedTrailers(trailers, of: exchange)
            state = .acquiring(exchange, buffered)
            return .endRequest(forward: false, trailers: nil, awaitResponseHead: false)
        case .forwarding(let exchange):
            exchange.requestEnded = true
            let awaitResponseHead = !exchange.response.hasStarted
            let forwarded = forwardedTrailers(trailers, of: exchange)
            return .endRequest(forward: true, trailers: forwarded, awaitResponseHead: awaitResponseHead)
        case .discarding(var discarding):
            discarding.requestEnded = true
            state = .discarding(discarding)
            return .endRequest(forward: false, trailers: nil, awaitResponseHead: false)
        case .idle, .tunnelling, .closed, .modifying:
            return .endRequest(forward: false, trailers: nil, awaitResponseHead: false)
        }
    }

    private func forwardedTrailers(_ trailers: HTTPHeaders?, of exchange: Exchange) -> HTTPHeaders? {
        exchange.verdict.framing == .chunked ? rewriter.forwardedTrailers(trailers) : nil
    }

    private mutating func receiveFailure(_ rejection: RequestRejection) -> Action {
        switch state {
        case .idle:
            return answer(rejection.status, incident: .rejected(rejection.reason), request: nil)
        case .acquiring(let exchange, _), .forwarding(let exchange):
            if exchange.response.hasStarted { return close(incident: nil, exchange: exchange) }
            return answer(rejection.status, closeConnection: true, incident: .rejected(rejection.reason), exchange: exchange)
        case .discarding, .tunnelling, .closed, .modifying:
            return close(incident: nil)
        }
    }

    /// The channel wants to read more client bytes. `upstreamWritable`: whether the upstream
    /// connection in use (if any) can take more. Returns `.read` or `.none` (the read is held).
    mutating func read(upstreamWritable: Bool) -> Action {
        if !pipelined.isEmpty {
            readPending = true
            return .none
        }
        switch state {
        case .acquiring:
            readPending = true
            return .none
        case .forwarding(let exchange):
            // After an upgrade request the decoder parses nothing more and would keep every byte
            // read: nothing is read until the tunnel opens (or the connection closes).
            if (exchange.verdict.endsHTTP && exchange.requestEnded) || !upstreamWritable {
                readPending = true
                return .none
            }
            return .read
        case .discarding(let discarding):
            if discarding.endsHTTP && discarding.requestEnded {
                readPending = true
                return .none
            }
            return .read
        case .idle, .tunnelling, .closed, .modifying:
            return .read
        }
    }

    /// The next held input to handle now that the connection can take it, as the action it
    /// leads to; nil when there is none, or the current request's end has been replayed (what
    /// follows belongs to the next one).
    mutating func replayPipelined(
        prepare: (HTTPRequestHead) -> Result<PreparedRequest, RequestRejection>
    ) -> Action? {
        guard !pipelined.isEmpty, acceptsInputNow else { return nil }
        switch pipelined.removeFirst() {
        case .head(let head): return receiveHead(head, prepare: prepare)
        case .body(let buffer): return receiveBody(buffer)
        case .end(let trailers): return receiveEnd(trailers)
        case .error(let rejection): return receiveFailure(rejection)
        }
    }

    /// Replaying held input is done: a read held meanwhile goes on if input can be taken now.
    mutating func pipelineDrained() -> Action {
        guard readPending, acceptsInputNow, pipelined.isEmpty else { return .none }
        readPending = false
        return .read
    }
}

// MARK: - Upstream connection

extension ProxyConnectionStateMachine {
    /// An upstream connection for exchange `serial` is ready: a pooled one (`reused`) or a
    /// fresh one. `.sendRequest` when the exchange still waits for it, else `.releaseConnection`.
    mutating func upstreamConnected(serial: Int, reused: Bool) -> Action {
        guard case .acquiring(let exchange, let buffered) = state, serial == self.serial else {
            return .releaseConnection
        }
        exchange.upstreamReused = reused
        state = .forwarding(exchange)
        // A pooled connection is taken while the client's input is handled, which flushes at its
        // end: the head and the body of the same read then leave in one `writev`.
        return .sendRequest(
            head: exchange.upstreamHead, body: buffered.body, end: exchange.requestEnded, trailers: buffered.trailers,
            flush: !reused)
    }

    /// No upstream connection could be opened for exchange `serial`: 502.
    mutating func upstreamConnectFailed(serial: Int) -> Action {
        guard case .acquiring(let exchange, _) = state, serial == self.serial else { return .none }
        return answer(.badGateway, closeConnection: !exchange.requestEnded, incident: .upstreamConnectFailed, exchange: exchange)
    }

    /// The upstream connection in use can take more (or not); also asked right after the request
    /// was written on a new connection. `.read` when a held client read can go on.
    mutating func upstreamWritabilityChanged(isWritable: Bool) -> Action {
        guard isWritable, readPending, case .forwarding(let exchange) = state, pipelined.isEmpty,
            !(exchange.verdict.endsHTTP && exchange.requestEnded)
        else { return .none }
        readPending = false
        return .read
    }

    /// The upstream's response head. `keepsHeaders`: the tracker reads response fields (an
    /// identity source), so the activity keeps them.
    mutating func upstreamResponseHead(_ head: HTTPResponseHead, keepsHeaders: Bool) -> Action {
        guard case .forwarding(let exchange) = state else { return .none }
        if head.status == .switchingProtocols, exchange.verdict.isUpgrade, exchange.requestEnded {
            // The decoder reports the end of the 101 next; the switch happens then.
            exchange.response = .switching(head)
            return .none
        }
        // An answer before the request was fully read (e.g. 401 to an upload), or a refused
        // upgrade, leaves the client connection in an unknown state: close it after this response.
        if !exchange.requestEnded || exchange.verdict.isUpgrade { exchange.keepAlive = false }
        if keepsHeaders { exchange.activity?.responseHeaders = Array(head.headers) }
        let (clientHead, framing) = rewriter.clientHead(
            for: head, requestVersion: exchange.version, requestIsHead: exchange.method == .HEAD,
            keepAlive: &exchange.keepAlive, upgrading: false)
        exchange.response = .streaming(status: Int(head.status.code), framing: framing)
        return .forwardResponseHead(clientHead)
    }

    /// A part of the upstream's response body.
    mutating func upstreamResponseBody(_ buffer: ByteBuffer) -> Action {
        guard case .forwarding(let exchange) = state else { return .none }
        exchange.responseBodyBytes &+= buffer.readableBytes  // cannot wrap: 2^63 bytes
        return .forwardResponseBody(buffer)
    }

    /// The upstream's response ended: the exchange completes, or becomes a tunnel after a 101.
    mutating func upstreamResponseEnd(_ trailers: HTTPHeaders?) -> Action {
        guard case .forwarding(let exchange) = state else { return .none }
        if case .switching(let upstreamHead) = exchange.response {
            // Nothing may have been parsed after the upgrade request: parts the decoder still
            // delivered would reach the tunnel as HTTP parts.
            guard pipelined.isEmpty else { return close(incident: nil) }
            state = .tunnelling
            var keepAlive = true
            let (clientHead, _) = rewriter.clientHead(
                for: upstreamHead, requestVersion: exchange.version, requestIsHead: false, keepAlive: &keepAlive, upgrading: true)
            return .startTunnel(clientHead: clientHead, method: exchange.method)
        }
        let forwarded: HTTPHeaders?
        if case .streaming(_, .chunked) = exchange.response {
            forwarded = rewriter.forwardedTrailers(trailers)
        } else {
            forwarded = nil
        }
        let completion = complete(exchange, status: exchange.response.status, keepAlive: exchange.keepAlive)
        return .completeResponse(trailers: forwarded, reuseUpstream: exchange.requestEnded, completion)
    }

    /// The upstream connection in use closed (or failed) before its response was complete.
    mutating func upstreamClosed() -> Action {
        guard case .forwarding(let exchange) = state else { return .none }
        if exchange.response.hasStarted {
            // The response is cut short and its framing cannot be completed: the client must see
            // the connection close, never a silently truncated body.
            return close(incident: .upstreamAborted, exchange: exchange)
        }
        if exchange.isRetryable {
            // A pooled connection the upstream closed just as we reused it: nothing reached the
            // application that could have had an effect, so try once more on a fresh connection
            // with the whole request again (its head, and no body).
            exchange.retried = true
            exchange.response = .awaitingHead
            state = .acquiring(exchange, BufferedRequest())
            return .connectFresh(serial: serial)
        }
        return answer(.badGateway, closeConnection: !exchange.requestEnded, incident: .upstreamAborted, exchange: exchange)
    }
}

// MARK: - Timeouts, shutdown, closing

extension ProxyConnectionStateMachine {
    /// The upstream did not start its response in time (`upstream.response_head_timeout`): 504.
    mutating func responseHeadTimedOut() -> Action {
        guard case .forwarding(let exchange) = state, !exchange.response.hasStarted else { return .none }
        return answer(.gatewayTimeout, closeConnection: !exchange.requestEnded, incident: .upstreamTimedOut, exchange: exchange)
    }

    /// The client stalled its request body, or stopped taking the response. Both connections
    /// close (the upstream's, so an app worker is not held). A stalled body gets a 408 first
    /// when no response has started, and is not recorded: the app never had the whole request. A
    /// response the app gave and the client stopped taking is recorded as cut short, like one the
    /// client hung up on: not reading must not be a way to act unrecorded.
    mutating func clientTimedOut(_ kind: ClientTimeoutHandler.ClientTimedOut.Kind) -> Action {
        let incident = Incident.rejected(ClientTimeoutHandler.ClientTimedOut(kind: kind).reason)
        switch state {
        case .acquiring(let exchange, _), .forwarding(let exchange):
            if kind == .send, exchange.response.hasStarted { return close(incident: incident, exchange: exchange) }
            exchange.activity = nil
            if kind == .body, !exchange.response.hasStarted {
                return answer(.requestTimeout, closeConnection: true, incident: incident, exchange: exchange)
            }
            return close(incident: incident)
        case .idle:
            if kind == .body { return answer(.requestTimeout, incident: incident, request: nil) }
            return close(incident: incident)
        case .discarding:
            return close(incident: incident)
        case .tunnelling, .closed, .modifying:
            return .none
        }
    }

    /// Graceful shutdown: close now if idle, else after the current response.
    mutating func shutdownRequested() -> Action {
        quiescing = true
        switch state {
        case .idle:
            return pipelined.isEmpty ? close(incident: nil) : .none
        case .acquiring(let exchange, _), .forwarding(let exchange):
            exchange.keepAlive = false
            return .none
        case .discarding, .tunnelling, .closed, .modifying:
            return .none
        }
    }

    /// The client connection became inactive: a started response is recorded as cut short, the
    /// upstream connection (if any) is closed, never reused.
    mutating func clientClosed() -> Action {
        var activity: FinishedActivity?
        if case .forwarding(let exchange) = state, exchange.response.hasStarted {
            activity = FinishedActivity(exchange, completed: false)
        }
        state = .closed
        return .cleanUp(activity)
    }

    /// The handler left the pipeline (the connection closed, or it became a tunnel).
    mutating func handlerRemoved() {
        if case .tunnelling = state { return }
        state = .closed
    }
}

// MARK: - Answers and completions

extension ProxyConnectionStateMachine {
    /// Closes the client connection now (and the upstream's, if in use); a started response of
    /// `exchange` is recorded as cut short.
    private mutating func close(incident: Incident?, exchange: Exchange? = nil) -> Action {
        var activity: FinishedActivity?
        if let exchange, exchange.response.hasStarted { activity = FinishedActivity(exchange, completed: false) }
        state = .closed
        return .close(incident: incident, activity: activity)
    }

    /// The proxy answers the current exchange itself (400, 408, 413, 502, 504, …); only called
    /// while no response started.
    private mutating func answer(
        _ status: HTTPResponseStatus, closeConnection: Bool, incident: Incident?, exchange: Exchange
    ) -> Action {
        var keepAlive = exchange.keepAlive
        if closeConnection || !exchange.clientKeepAlive { keepAlive = false }
        let completion: Completion
        if keepAlive && exchange.requestEnded {
            completion = complete(exchange, status: Int(status.code), keepAlive: true)
        } else {
            // The rest of the request (if any) is not read; the connection closes after the answer.
            keepAlive = false
            state = .discarding(Discarding(endsHTTP: exchange.verdict.endsHTTP, requestEnded: exchange.requestEnded))
            completion = Completion(exchange: exchange, status: Int(status.code), isCounted: false, closeConnection: true)
        }
        return .respond(
            Answer(
                status: status, version: exchange.version, includesBody: exchange.method != .HEAD, keepAlive: keepAlive,
                incident: incident, completion: completion))
    }

    /// The proxy answers a request that has no exchange (a refused head, malformed input or a
    /// stalled request while idle): the connection closes after it, the rest of the request (if
    /// any) unread.
    private mutating func answer(
        _ status: HTTPResponseStatus, incident: Incident?, request: (method: HTTPMethod, version: HTTPVersion)?
    ) -> Action {
        state = .discarding(Discarding(endsHTTP: false, requestEnded: false))
        return .respond(
            Answer(
                status: status, version: request?.version ?? .http1_1, includesBody: request?.method != .HEAD,
                keepAlive: false, incident: incident,
                completion: Completion(exchange: nil, status: Int(status.code), isCounted: false, closeConnection: true)))
    }

    /// Ends `exchange` with its response complete: the connection waits for the next request,
    /// or closes after this response when keep-alive is off or a shutdown is in progress.
    private mutating func complete(_ exchange: Exchange, status: Int, keepAlive: Bool) -> Completion {
        let closeConnection = !keepAlive || quiescing
        if closeConnection {
            state = .discarding(Discarding(endsHTTP: exchange.verdict.endsHTTP, requestEnded: exchange.requestEnded))
        } else {
            state = .idle
        }
        return Completion(exchange: exchange, status: status, isCounted: true, closeConnection: closeConnection)
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
