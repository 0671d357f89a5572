import NIOCore

/// The timeouts of one client connection, driven by a single lazily re-armed timer.
///
/// - Idle: no request in progress and nothing received for `idleTimeout` → the connection closes.
/// - Request head: the first byte of a request arrived but the whole head did not within
///   `requestHeadTimeout` (slowloris) → 408 and close.
/// - Response head: the request is upstream but the upstream has not started its response within
///   `responseHeadTimeout` → a `ResponseHeadTimedOut` user event down the pipeline, on which
///   `ProxyServerHandler` answers 504.
///
/// Scheduling a NIO timer allocates, so the request path only records timestamps: one timer per
/// connection fires at least every `period` (the shortest timeout) and exactly at a deadline that
/// falls before its next tick. A deadline set at time T is at least T + period, and the timer
/// never sleeps longer than `period`, so it can never fire late by more than scheduling noise.
///
/// It sits first in the pipeline, before the HTTP decoder, so it sees when a request starts.
/// Threading: all methods run on the channel's event loop.
final class ClientTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case idle(since: NIODeadline)
        case readingHead(since: NIODeadline)
        case handlingRequest
        case stopped
    }

    private let idleTimeout: TimeAmount
    private let requestHeadTimeout: TimeAmount
    private let responseHeadTimeout: TimeAmount
    private let period: TimeAmount
    private let onHeadTimeout: () -> Void
    private var phase = Phase.idle(since: .now())
    private var responseDeadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// Fired down the pipeline when the upstream's response head is late. An event rather than a
    /// call through a weak reference to the proxy handler: a weak reference gives its object a side
    /// table, and every retain and release of the proxy handler then took Swift's slow path.
    struct ResponseHeadTimedOut {}

    /// `onHeadTimeout` runs when a request head took too long (the rejected-requests metric).
    init(idleTimeout: TimeAmount, requestHeadTimeout: TimeAmount, responseHeadTimeout: TimeAmount, onHeadTimeout: @escaping () -> Void) {
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.responseHeadTimeout = responseHeadTimeout
        self.period = max(min(idleTimeout, requestHeadTimeout, responseHeadTimeout), .milliseconds(1))
        self.onHeadTimeout = onHeadTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        phase = .idle(since: .now())
        schedule(at: .now() + period)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .idle = phase { phase = .readingHead(since: .now()) }
        context.fireChannelRead(data)
    }

    /// A complete request head arrived: no client timeout applies until its response is done.
    func requestHeadReceived() {
        if case .stopped = phase { return }
        phase = .handlingRequest
    }

    /// The whole request is upstream: its response head is now awaited.
    func awaitResponseHead() {
        responseDeadline = .now() + responseHeadTimeout
    }

    /// The response head arrived (or the proxy answered itself).
    func responseHeadReceived() {
        responseDeadline = nil
    }

    /// The response is complete; the connection waits for the next request.
    func responseCompleted() {
        if case .stopped = phase { return }
        responseDeadline = nil
        phase = .idle(since: .now())
    }

    /// No more timeouts (the connection became a tunnel, or is closing).
    func stop() {
        phase = .stopped
        responseDeadline = nil
        timer?.cancel()
        timer = nil
    }

    private func schedule(at deadline: NIODeadline) {
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.fire()
        }
    }

    private func fire() {
        timer = nil
        guard let context else { return }
        let now = NIODeadline.now()
        var next = now + period
        switch phase {
        case .stopped:
            return
        case .idle(let since):
            if now >= since + idleTimeout {
                phase = .stopped
                context.close(promise: nil)
                return
            }
            next = min(next, since + idleTimeout)
        case .readingHead(let since):
            if now >= since + requestHeadTimeout {
                timeOutRequestHead(context)
                return
            }
            next = min(next, since + requestHeadTimeout)
        case .handlingRequest:
            break
        }
        if let responseDeadline {
            if now >= responseDeadline {
                self.responseDeadline = nil
                context.fireUserInboundEventTriggered(ResponseHeadTimedOut())
            } else {
                next = min(next, responseDeadline)
            }
        }
        if case .stopped = phase { return }
        schedule(at: next)
    }

    private func timeOutRequestHead(_ context: ChannelHandlerContext) {
        onHeadTimeout()
        phase = .stopped
        let response = "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        let buffer = context.channel.allocator.buffer(string: response)
        // Written below the HTTP encoder: no response is in progress while a head is read.
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
