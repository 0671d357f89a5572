import NIOCore

/// The raw client's only handler: collects the bytes the server sends and serves one read at a
/// time from them (a parsed response, an exact number of bytes, or everything until close).
/// Each read fails with `TestTimeout` if it cannot complete in time.
///
/// Threading: all methods run on the channel's event loop.
final class ResponseReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Read {
        case response(ResponseParser, EventLoopPromise<RawResponse>)
        case bytes(Int, EventLoopPromise<[UInt8]>)
        case untilClose(EventLoopPromise<[UInt8]>)
    }

    private var buffer = ByteBuffer()
    private var read: Read?
    private var timer: Scheduled<Void>?
    private(set) var isClosed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        process()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        process()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset after the server closed; what arrived before stays readable.
        context.close(promise: nil)
    }

    func readResponse(isHead: Bool, keepBody: Bool, timeout: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<RawResponse> {
        let promise = eventLoop.makePromise(of: RawResponse.self)
        start(.response(ResponseParser(isHead: isHead, keepBody: keepBody), promise), timeout: timeout, eventLoop: eventLoop) {
            promise.fail(TestTimeout(what: "a response"))
        }
        return promise.futureResult
    }

    func readBytes(_ count: Int, timeout: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        let promise = eventLoop.makePromise(of: [UInt8].self)
        start(.bytes(count, promise), timeout: timeout, eventLoop: eventLoop) {
            promise.fail(TestTimeout(what: "\(count) bytes"))
        }
        return promise.futureResult
    }

    func readUntilClose(timeout: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        let promise = eventLoop.makePromise(of: [UInt8].self)
        start(.untilClose(promise), timeout: timeout, eventLoop: eventLoop) {
            promise.fail(TestTimeout(what: "the connection to close"))
        }
        return promise.futureResult
    }

    private func start(_ read: Read, timeout: TimeAmount, eventLoop: any EventLoop, onTimeout: @escaping () -> Void) {
        precondition(self.read == nil, "one read at a time")
        self.read = read
        timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.read = nil
            onTimeout()
        }
        process()
    }

    private func process() {
        guard let read else { return }
        switch read {
        case .response(var parser, let promise):
            do {
                if let response = try parser.parse(&buffer) {
                    finish { promise.succeed(response) }
                } else if isClosed {
                    let response = try parser.finishAtClose()
                    finish { promise.succeed(response) }
                } else {
                    self.read = .response(parser, promise)
                }
            } catch {
                finish { promise.fail(error) }
            }
        case .bytes(let count, let promise):
            if buffer.readableBytes >= count {
                let bytes = buffer.readBytes(length: count)!
                finish { promise.succeed(bytes) }
            } else if isClosed {
                let got = buffer.readableBytes
                finish { promise.fail(RawResponseError(description: "connection closed after \(got) of \(count) bytes")) }
            }
        case .untilClose(let promise):
            if isClosed {
                let bytes = buffer.readBytes(length: buffer.readableBytes)!
                finish { promise.succeed(bytes) }
            }
        }
        if buffer.readerIndex > 1 << 20 { buffer.discardReadBytes() }
    }

    private func finish(_ complete: () -> Void) {
        read = nil
        timer?.cancel()
        timer = nil
        complete()
    }
}
