import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    func connectUpstream() {
        state = .connecting
        let serial = requestSerial
        pool.connect { [self] result in
            guard state == .connecting, serial == requestSerial else {
                if case .success(let handler) = result { pool.release(handler) }
                return
            }
            switch result {
            case .success(let handler):
                attach(handler, reused: false)
            case .failure:
                shared.metrics.upstreamConnectFailures.increment()
                respondWithError(.badGateway, closeConnection: !requestEnded)
            }
        }
    }

    /// Starts forwarding the current request on `handler`. `flush: false` when called while the
    /// client's input is being handled (`channelReadComplete`, or the end of `drainPipelined`,
    /// flushes): the head and the body that came in the same read then leave in one `writev`
    /// instead of two writes, and wake the upstream once.
    func attach(_ handler: UpstreamConnectionHandler, reused: Bool, flush: Bool = true) {
        state = .forwarding
        upstream = handler
        upstreamWasReused = reused
        handler.begin(self)
        if !(context?.channel.isWritable ?? false) { handler.pauseReads() }
        if let upstreamHead { handler.write(.head(upstreamHead)) }
        for part in pendingParts { handler.write(part) }
        pendingParts.removeAll(keepingCapacity: true)
        if flush { handler.flush() }
        if requestEnded { requestFullySent() }
        if readPending, handler.isWritable {
            readPending = false
            requestClientRead()
        }
    }

    /// Starts the response-head timeout once the whole request is upstream.
    func requestFullySent() {
        requestSentAt = .now()
        if !responseStarted { timeouts.awaitResponseHead() }
    }

    /// The upstream did not start its response in time (`upstream.response_head_timeout`): 504.
    func responseHeadTimedOut() {
        guard state == .forwarding, !responseStarted else { return }
        shared.metrics.upstreamTimeouts.increment()
        detachUpstream(reuse: false)
        respondWithError(.gatewayTimeout, closeConnection: !requestEnded)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable, readPending, state == .forwarding {
            readPending = false
            requestClientRead()
        }
    }

    /// Ends the use of the upstream connection: back to the pool when the exchange completed
    /// cleanly, otherwise closed.
    func detachUpstream(reuse: Bool) {
        guard let upstream else { return }
        self.upstream = nil
        if reuse {
            pool.release(upstream)
        } else {
            upstream.close()
        }
    }
}
