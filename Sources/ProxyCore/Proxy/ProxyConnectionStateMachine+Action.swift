import NIOCore
import NIOHTTP1

extension ProxyConnectionStateMachine {
    /// What the handler does after an event. One value per event, with small payloads (no arrays
    /// of actions, no existentials): the request path allocates nothing for it. Kept small (about
    /// 60 bytes), as it is returned and switched over for every event: a completion refers to its
    /// exchange rather than carrying copies of its activity and figures, and the proxy's own
    /// answers, which are rare, are boxed.
    enum Action {
        /// Nothing to do.
        case none
        /// Read more client bytes (arming the body timeout when a body is awaited).
        case read
        /// Send `100 Continue` (in `sendContinue`'s version) if set, then find an upstream
        /// connection for exchange `serial`: an idle pooled one, else a fresh one. Report it with
        /// `upstreamConnected` or `upstreamConnectFailed`.
        case acquireUpstream(serial: Int, sendContinue: HTTPVersion?)
        /// Open a fresh connection for exchange `serial` (the retry after a stale pooled one).
        case connectFresh(serial: Int)
        /// Begin the exchange on the connection just acquired: write `head`, then `body`, then
        /// the end with `trailers` when `end` (the whole request is then upstream: arm the
        /// response-head timeout); flush when `flush` (else the read in progress flushes at its end).
        case sendRequest(head: HTTPRequestHead, body: [ByteBuffer], end: Bool, trailers: HTTPHeaders?, flush: Bool)
        /// A connection arrived for an exchange that is over: give it back to the pool.
        case releaseConnection
        /// Write a request body part upstream (flushed at the end of the read).
        case forwardRequestBody(ByteBuffer)
        /// The client's request ended: tell the timeouts; when `forward`, write the end upstream
        /// with `trailers`; when `awaitResponseHead`, arm the response-head timeout.
        case endRequest(forward: Bool, trailers: HTTPHeaders?, awaitResponseHead: Bool)
        /// Write the response head to the client (the response-head timeout stops; its latency is
        /// observed).
        case forwardResponseHead(HTTPResponseHead)
        /// Write a response body part to the client.
        case forwardResponseBody(ByteBuffer)
        /// The upstream's response ended: give the upstream connection back to the pool when
        /// `reuseUpstream`, else close it; write the end with `trailers`; then `completion`.
        case completeResponse(trailers: HTTPHeaders?, reuseUpstream: Bool, Completion)
        /// The proxy answers the request itself: close the upstream connection (if any), write
        /// `answer`'s response, then its completion.
        indirect case respond(Answer)
        /// Write `clientHead` (the 101) and turn both connections into a byte tunnel; count the
        /// request with `method`.
        case startTunnel(clientHead: HTTPResponseHead, method: HTTPMethod)
        /// Count `incident`, hand on `activity`, flush what was written and close the client
        /// connection and the upstream one (if any).
        case close(incident: Incident?, activity: FinishedActivity?)
        /// The client connection is gone: hand on `activity`, stop the timeouts, close the
        /// upstream connection (if any).
        case cleanUp(FinishedActivity?)
    }

    /// Why an exchange went wrong, for the metrics.
    enum Incident: Equatable {
        /// The request was refused; `reason` is the rejected-requests metric's label.
        case rejected(String)
        case upstreamConnectFailed
        case upstreamTimedOut
        case upstreamAborted
    }

    /// A tracked exchange's activity, ready for the tracker.
    struct FinishedActivity {
        let pending: PendingActivity
        let exchange: CompletedExchange

        /// The activity of `exchange`, if it is tracked; `status` defaults to the response's.
        init?(_ exchange: Exchange, status: Int? = nil, completed: Bool) {
            guard let pending = exchange.activity else { return nil }
            self.pending = pending
            self.exchange = CompletedExchange(
                status: status ?? exchange.response.status, requestBytes: exchange.requestBodyBytes,
                responseBytes: exchange.responseBodyBytes, completed: completed)
        }
    }

    /// An answered request for the requests and bytes metrics.
    struct CountedRequest: Equatable {
        var method: HTTPMethod
        var status: Int
        var requestBytes: Int
        var responseBytes: Int
    }

    /// How an exchange whose response is written ends.
    struct Completion {
        /// The exchange that ends; nil for an answer to a request that started none.
        let exchange: Exchange?
        /// The status the client receives.
        let status: Int
        /// Whether the request is counted in the metrics: not for the proxy's own answers on a
        /// closing connection.
        let isCounted: Bool
        /// Close the connection once the response end is written (the timeouts see the request
        /// end); else the connection is idle (the timeouts see the response complete) and held
        /// pipelined input is replayed.
        let closeConnection: Bool

        /// Handed to the tracker (completed).
        var activity: FinishedActivity? {
            exchange.flatMap { FinishedActivity($0, status: status, completed: true) }
        }

        /// Counted in the metrics.
        var counted: CountedRequest? {
            guard isCounted, let exchange else { return nil }
            return CountedRequest(
                method: exchange.method, status: status, requestBytes: exchange.requestBodyBytes,
                responseBytes: exchange.responseBodyBytes)
        }
    }

    /// A response the proxy writes itself: `status` with a one-line text body (none to HEAD).
    struct Answer {
        var status: HTTPResponseStatus
        var version: HTTPVersion
        var includesBody: Bool
        /// The `Connection` field: `keep-alive` or `close`.
        var keepAlive: Bool
        var incident: Incident?
        var completion: Completion
    }
}
