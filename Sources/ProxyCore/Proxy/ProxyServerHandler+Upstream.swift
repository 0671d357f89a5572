import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// Opens a fresh upstream connection for exchange `serial`.
    func connectUpstream(serial: Int) {
        pool.connect { [self] result in
            switch result {
            case .success(let handler):
                upstreamAcquired(handler, serial: serial, reused: false)
            case .failure:
                perform(machine.upstreamConnectFailed(serial: serial))
            }
        }
    }

    /// An upstream connection for exchange `serial` is ready: the request starts on it, or, when
    /// that exchange is over, it goes back to the pool.
    func upstreamAcquired(_ handler: UpstreamConnectionHandler, serial: Int, reused: Bool) {
        let action = machine.upstreamConnected(serial: serial, reused: reused)
        switch action {
        case .sendRequest(let head, let body, let end, let trailers, let flush):
            upstream = handler
            handler.begin(self)
            if !(context?.channel.isWritable ?? false) { handler.pauseReads() }
            handler.write(.head(head))
            for part in body { handler.write(.body(.byteBuffer(part))) }
            if end { handler.write(.end(trailers)) }
            if flush { handler.flush() }
            if end { timeouts.awaitResponseHead() }
            // A client read held while no connection could take the bytes goes on if this one can.
            perform(machine.upstreamWritabilityChanged(isWritable: handler.isWritable))
        case .releaseConnection:
            pool.release(handler)
        default:
            perform(action)
        }
    }

    /// A response part from the upstream connection in use.
    func upstreamDidReceive(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head):
            perform(machine.upstreamResponseHead(head, keepsHeaders: shared.tracker?.readsResponseHeaders ?? false))
        case .body(let buffer):
            perform(machine.upstreamResponseBody(buffer))
        case .end(let trailers):
            perform(machine.upstreamResponseEnd(trailers))
        }
    }

    /// The upstream connection in use read everything it had: what went to the client leaves.
    func upstreamDidReadComplete() {
        context?.flush()
    }

    /// The upstream connection in use closed before its response was complete.
    func upstreamDidClose(_ handler: UpstreamConnectionHandler) {
        guard upstream === handler else { return }
        upstream = nil
        perform(machine.upstreamClosed())
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        perform(machine.upstreamWritabilityChanged(isWritable: isWritable))
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
