import NIOCore

/// Watches a client connection's raw bytes for the two client-side timeouts.
///
/// - Idle: no request in progress and no byte received for `idleTimeout` → the connection closes.
/// - Request head: the first byte of a request arrived but the whole head did not within
///   `requestHeadTimeout` (slowloris) → 408 and close.
///
/// It sits first in the pipeline, before the HTTP decoder, so it sees when a request starts;
/// `ProxyServerHandler` tells it when a head is complete and when a response is done.
/// Threading: all methods run on the channel's event loop.
final class ClientTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case idle, readingHead, handlingRequest, stopped
    }

    private let idleTimeout: TimeAmount
    private let requestHeadTimeout: TimeAmount
    private let onHeadTimeout: () -> Void
    private var state = State.idle
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// `onHeadTimeout` runs when a request head took too long (the rejected-requests metric).
    init(idleTimeout: TimeAmount, requestHeadTimeout: TimeAmount, onHeadTimeout: @escaping () -> Void) {
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.onHeadTimeout = onHeadTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm(idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(idleTimeout)
        context.fireChannelActive()
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
        if state == .idle {
            state = .readingHead
            arm(requestHeadTimeout)
        }
        context.fireChannelRead(data)
    }

    /// A complete request head arrived: no client timeout applies until its response is done.
    func requestHeadReceived() {
        guard state != .stopped else { return }
        state = .handlingRequest
        timer?.cancel()
        timer = nil
    }

    /// The response is complete; the connection waits for the next request.
    func responseCompleted() {
        guard state != .stopped else { return }
        state = .idle
        arm(idleTimeout)
    }

    /// No more timeouts (the connection became a tunnel, or is closing).
    func stop() {
        state = .stopped
        timer?.cancel()
        timer = nil
    }

    private func arm(_ timeout: TimeAmount) {
        timer?.cancel()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.fire()
        }
    }

    private func fire() {
        guard let context else { return }
        switch state {
        case .idle:
            context.close(promise: nil)
        case .readingHead:
            onHeadTimeout()
            state = .stopped
            let response = "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
            let buffer = context.channel.allocator.buffer(string: response)
            // Written below the HTTP encoder: no response is in progress while a head is read.
            context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .handlingRequest, .stopped:
            break
        }
    }
}
