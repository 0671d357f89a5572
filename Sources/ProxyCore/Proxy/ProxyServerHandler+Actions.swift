import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// Performs what the machine decided. Actions that need the upstream connection just
    /// acquired (`sendRequest`, `releaseConnection`) are performed by `upstreamAcquired`, where
    /// that connection is at hand.
    func perform(_ action: Machine.Action) {
        switch action {
        case .none:
            break
        case .read:
            requestClientRead()
        case .acquireUpstream(let serial, let sendContinue):
            if let version = sendContinue {
                context?.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .continue))), promise: nil)
            }
            if let idle = pool.takeIdle() {
                upstreamAcquired(idle, serial: serial, reused: true)
            } else {
                connectUpstream(serial: serial)
            }
        case .connectFresh(let serial):
            connectUpstream(serial: serial)
        case .sendRequest, .releaseConnection:
            assertionFailure("\(action) is performed by upstreamAcquired")
        case .forwardRequestBody(let buffer):
            upstream?.write(.body(.byteBuffer(buffer)))
        case .endRequest(let forward, let trailers, let awaitResponseHead):
            timeouts.requestEnded()
            if forward { upstream?.write(.end(trailers)) }
            if awaitResponseHead { timeouts.awaitResponseHead() }
        case .forwardResponseHead(let head):
            if let latency = timeouts.responseHeadReceived() {
                shared.metrics.upstreamLatency.recordNanoseconds(latency.nanoseconds)
                traffic?.latency.record(nanoseconds: latency.nanoseconds)
            }
            context?.write(wrapOutboundOut(.head(head)), promise: nil)
        case .forwardResponseBody(let buffer):
            timeouts.wrote(buffer.readableBytes)
            context?.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .completeResponse(let trailers, let reuseUpstream, let completion):
            detachUpstream(reuse: reuseUpstream)
            finish(completion, end: .end(trailers))
        case .respond(let answer):
            respond(answer)
        case .startTunnel(let clientHead, let method):
            startTunnel(clientHead, method: method)
        case .close(let incident, let activity):
            count(incident)
            record(activity)
            detachUpstream(reuse: false)
            context?.flush()
            context?.close(promise: nil)
        case .cleanUp(let activity):
            record(activity)
            timeouts.stop()
            detachUpstream(reuse: false)  // its request was cut short: never reuse
        }
    }

    /// Counts what went wrong in the metrics.
    func count(_ incident: Machine.Incident?) {
        switch incident {
        case nil: break
        case .rejected(let reason): shared.metrics.countRejection(reason)
        case .upstreamConnectFailed:
            shared.metrics.upstreamConnectFailures.increment()
            traffic?.upstreamErrors &+= 1
        case .upstreamTimedOut:
            shared.metrics.upstreamTimeouts.increment()
            traffic?.upstreamTimeouts &+= 1
        case .upstreamAborted:
            shared.metrics.upstreamAborts.increment()
            traffic?.upstreamErrors &+= 1
        }
    }

    /// Hands a tracked exchange's activity to the tracker.
    func record(_ activity: Machine.FinishedActivity?) {
        guard let activity else { return }
        shared.tracker?.finish(activity.pending, activity.exchange, random: &random, rows: activityRows)
    }
}
