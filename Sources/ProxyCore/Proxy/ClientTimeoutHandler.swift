import NIOCore
import ActivityRules

/// The timeouts of one client connection, driven by a single lazily re-armed timer.
///
/// - Idle: no request in progress and nothing received for `idleTimeout` → the connection closes.
/// - Request head: the first byte of a request arrived but the whole head did not within
///   `requestHeadTimeout` (slowloris) → 408 and close.
/// - Response head: the request is upstream but the upstream has not started its response within
///   `responseHeadTimeout` → a `ResponseHeadTimedOut` user event down the pipeline, on which
///   `ProxyServerHandler` answers 504.
/// - Request body (nginx `client_body_timeout`): the proxy asked for more of a request body and
///   nothing came within `bodyTimeout` → `ClientTimedOut(.body)`. Time the proxy holds reads back
///   (the upstream is slow to take the body) does not count: only `readRequested()` arms it.
/// - Send (nginx `send_timeout`): bytes for the client sit in the channel and none of them left
///   for `sendTimeout` → `ClientTimedOut(.send)`. Progress is read from the channel's buffered
///   byte count against the bytes written through `wrote(_:)`, at each tick: nothing on the
///   request path.
/// On `ClientTimedOut`, `ProxyServerHandler` closes both connections and records nothing.
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
    private let bodyTimeout: TimeAmount
    private let sendTimeout: TimeAmount
    private let period: TimeAmount
    private let onHeadTimeout: () -> Void
    private var phase = Phase.idle(since: .now())
    /// Since when the whole request is upstream and its response head awaited; the deadline is
    /// `responseHeadTimeout` later.
    private var responseAwaitedSince: NIODeadline?
    /// Whether the request in progress still has body to come.
    private var awaitingBody = false
    /// Since when the proxy has wanted more of the request body and received nothing.
    private var bodyWaitSince: NIODeadline?
    /// Bytes written towards the client (`wrote(_:)`), and, at the last tick that saw progress,
    /// how many of them had left the channel and when.
    private var bytesWritten: Int64 = 0
    private var bytesSent: Int64 = 0
    private var lastSendProgress = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// Fired down the pipeline when the upstream's response head is late. An event rather than a
    /// call through a weak reference to the proxy handler: a weak reference gives its object a side
    /// table, and every retain and release of the proxy handler then took Swift's slow path.
    struct ResponseHeadTimedOut {}

    /// Fired down the pipeline when the client stalls a request body or stops taking a response.
    struct ClientTimedOut {
        enum Kind { case body, send }
        var kind: Kind

        /// The label of the rejected-requests metric.
        var reason: String {
            switch kind {
            case .body: "client_body_timeout"
            case .send: "client_send_timeout"
            }
        }
    }

    /// `onHeadTimeout` runs when a request head took too long (the rejected-requests metric).
    init(
        idleTimeout: TimeAmount, requestHeadTimeout: TimeAmount, responseHeadTimeout: TimeAmount, bodyTimeout: TimeAmount,
        sendTimeout: TimeAmount, onHeadTimeout: @escaping () -> Void
    ) {
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.responseHeadTimeout = responseHeadTimeout
        self.bodyTimeout = bodyTimeout
        self.sendTimeout = sendTimeout
        self.period = max(min(idleTimeout, requestHeadTimeout, responseHeadTimeout, bodyTimeout, sendTimeout), .milliseconds(1))
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
        if case .idle = phase {
            phase = .readingHead(since: .now())
            requestLineBytes = 0
            requestLineComplete = false
        }
        if !requestLineComplete { measureRequestLine(unwrapInboundIn(data)) }
        bodyWaitSince = nil
        context.fireChannelRead(data)
    }

    /// Bytes of the current request line seen so far (all of it once `requestLineComplete`).
    /// NIO's decoder counts the request-target against its header-size limit and reports one
    /// error for both, so this tells a too-long target (414) from too-large headers (431). Only
    /// the first request read after an idle connection is measured: a pipelined request's bytes
    /// arrive mid-exchange, where request boundaries are the decoder's to know.
    private(set) var requestLineBytes = 0
    private var requestLineComplete = true

    private func measureRequestLine(_ buffer: ByteBuffer) {
        if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            requestLineBytes &+= newline - buffer.readerIndex
            requestLineComplete = true
        } else {
            requestLineBytes &+= buffer.readableBytes
        }
    }

    /// A complete request head arrived: no idle or head timeout applies until its response is
    /// done; the body timeout applies while `bodyFollows` until `requestEnded()`.
    func requestHeadReceived(bodyFollows: Bool) {
        if case .stopped = phase { return }
        phase = .handlingRequest
        awaitingBody = bodyFollows
        bodyWaitSince = nil
    }

    /// The whole request arrived (or the rest of it will not be read).
    func requestEnded() {
        awaitingBody = false
        bodyWaitSince = nil
    }

    /// The proxy asks the channel for more client bytes. Arms the body timeout when a body is
    /// awaited; the next `channelRead` disarms it.
    func readRequested() {
        if awaitingBody, bodyWaitSince == nil { bodyWaitSince = .now() }
    }

    /// `count` bytes of response body were written towards the client (the send timeout's
    /// measure of progress).
    @inline(__always)
    func wrote(_ count: Int) {
        bytesWritten &+= Int64(count)
    }

    /// The whole request is upstream: its response head is now awaited.
    func awaitResponseHead() {
        responseAwaitedSince = .now()
    }

    /// The response head arrived (or the proxy answered itself). Returns how long it was awaited
    /// (the upstream's latency, request fully sent → response head), if it was.
    @discardableResult
    func responseHeadReceived() -> TimeAmount? {
        guard let since = responseAwaitedSince else { return nil }
        responseAwaitedSince = nil
        return .now() - since
    }

    /// The response is complete; the connection waits for the next request.
    func responseCompleted() {
        if case .stopped = phase { return }
        responseAwaitedSince = nil
        phase = .idle(since: .now())
    }

    /// No more timeouts (the connection became a tunnel, or is closing).
    func stop() {
        phase = .stopped
        responseAwaitedSince = nil
        awaitingBody = false
        bodyWaitSince = nil
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
            if let since = bodyWaitSince {
                if now >= since + bodyTimeout {
                    timeOut(.body, context)
                    return
                }
                next = min(next, since + bodyTimeout)
            }
        }
        if sendStalled(context, now: now) {
            timeOut(.send, context)
            return
        }
        if let since = responseAwaitedSince {
            let responseDeadline = since + responseHeadTimeout
            if now >= responseDeadline {
                responseAwaitedSince = nil
                context.fireUserInboundEventTriggered(ResponseHeadTimedOut())
            } else {
                next = min(next, responseDeadline)
            }
        }
        if case .stopped = phase { return }
        schedule(at: next)
    }

    /// Whether bytes for the client have waited in the channel for `sendTimeout` without any of
    /// them leaving. Bytes that left = bytes written − bytes still buffered; the head and the
    /// proxy's own answers are not counted as written, which only makes progress show later.
    private func sendStalled(_ context: ChannelHandlerContext, now: NIODeadline) -> Bool {
        let buffered = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)).flatMap { $0 } ?? 0
        let sent = bytesWritten &- Int64(buffered)
        if buffered == 0 || sent != bytesSent {
            bytesSent = sent
            lastSendProgress = now
            return false
        }
        return now >= lastSendProgress + sendTimeout
    }

    private func timeOut(_ kind: ClientTimedOut.Kind, _ context: ChannelHandlerContext) {
        stop()
        context.fireUserInboundEventTriggered(ClientTimedOut(kind: kind))
    }

    private func timeOutRequestHead(_ context: ChannelHandlerContext) {
        onHeadTimeout()
        phase = .stopped
        let response = "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        let buffer = context.channel.allocator.buffer(string: response)
        // Written below the HTTP encoder: no response is in progress while a head is read. A
        // client that takes no bytes (an earlier response still unread) is closed all the same.
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: sendTimeout) { context.close(promise: nil) }
    }
}
