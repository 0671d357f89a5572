import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// Whether input now belongs to the current request, or starts the next one while idle.
    var acceptsInputNow: Bool {
        state == .idle || ((state == .connecting || state == .forwarding) && !requestEnded)
    }

    /// Whether input now belongs to a request after the current one (the client pipelines).
    var belongsToLaterRequest: Bool {
        switch state {
        case .idle: !pipelined.isEmpty
        case .connecting, .forwarding: requestEnded || !pipelined.isEmpty
        case .discarding, .tunnelling, .closed: false
        }
    }

    /// Handles held pipelined input now that the connection is idle again; stops when a request
    /// is in progress whose end has arrived (what follows belongs to the next one).
    func drainPipelined() {
        while !pipelined.isEmpty, acceptsInputNow {
            switch pipelined.removeFirst() {
            case .part(let part): receive(part)
            case .error(let error): handleError(error)
            }
        }
        // Parts replayed here get no `channelReadComplete`, which is what normally flushes them:
        // without this a pipelined request's body and end would sit unsent and the upstream wait.
        if state == .forwarding { upstream?.flush() }
        if readPending, acceptsInputNow {
            readPending = false
            requestClientRead()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ClientTimeoutHandler.ResponseHeadTimedOut {
            responseHeadTimedOut()
            return
        }
        if let timedOut = event as? ClientTimeoutHandler.ClientTimedOut {
            clientTimedOut(timedOut)
            return
        }
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Graceful shutdown: close now if idle, else after the current response.
        quiescing = true
        keepAlive = false
        if state == .idle, pipelined.isEmpty {
            state = .closed
            context.close(promise: nil)
        }
    }
}

extension ProxyServerHandler {
    /// The client stalled its request body, or stopped taking the response: both connections
    /// close (the upstream's, so an app worker is not held) and the rejection is counted. A
    /// stalled body gets a 408 first when no response has started, and is not recorded: the app
    /// never had the whole request. A response the app gave and the client stopped taking is
    /// recorded as incomplete, like one the client hung up on: not reading must not be a way to
    /// act unrecorded.
    func clientTimedOut(_ timeout: ClientTimeoutHandler.ClientTimedOut) {
        guard state != .closed, state != .tunnelling else { return }
        shared.metrics.countRejection(timeout.reason)
        if timeout.kind == .send, responseStarted { recordActivity(completed: false) }
        pending = nil
        detachUpstream(reuse: false)
        if timeout.kind == .body, !responseStarted, state != .discarding {
            respondWithError(.requestTimeout, closeConnection: true)
        } else {
            state = .closed
            context?.close(promise: nil)
        }
    }
}
