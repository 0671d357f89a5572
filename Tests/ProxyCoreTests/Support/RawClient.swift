import NIOCore
import NIOPosix

/// A TCP client that sends exact bytes and parses the answers itself, so that what the proxy
/// writes is checked byte for byte. Every read is bounded by a timeout.
final class RawClient: Sendable {
    let channel: any Channel
    private let reader: NIOLoopBound<ResponseReader>

    private init(channel: any Channel, reader: NIOLoopBound<ResponseReader>) {
        self.channel = channel
        self.reader = reader
    }

    static func connect(port: Int, group: any EventLoopGroup) async throws -> RawClient {
        // The reader is handed out by the initializer: looking it up afterwards fails if the
        // server has already closed the connection and the pipeline is gone.
        let readerPromise = group.next().makePromise(of: NIOLoopBound<ResponseReader>.self)
        let connected = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let reader = ResponseReader()
                    try channel.pipeline.syncOperations.addHandler(reader)
                    readerPromise.succeed(NIOLoopBound(reader, eventLoop: channel.eventLoop))
                }
            }
            .connect(host: "127.0.0.1", port: port)
        connected.whenFailure { readerPromise.fail($0) }
        let channel = try await connected.get()
        return RawClient(channel: channel, reader: try await readerPromise.futureResult.get())
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Sends `body` block by block, each awaited so that the proxy's backpressure holds the sender.
    func send(_ body: PatternBody, chunked: Bool) async throws {
        for block in body.blocks {
            if chunked {
                var framed = ByteBuffer(string: String(block.readableBytes, radix: 16) + "\r\n")
                framed.writeImmutableBuffer(block)
                framed.writeString("\r\n")
                try await channel.writeAndFlush(framed)
            } else {
                try await channel.writeAndFlush(block)
            }
        }
        if chunked { try await send("0\r\n\r\n") }
    }

    /// The next response; `isHead` when it answers a HEAD request. Small bodies are kept whole.
    func readResponse(isHead: Bool = false, keepBody: Bool = true, timeout: TimeAmount = .seconds(10)) async throws -> RawResponse {
        let reader = self.reader
        let eventLoop = channel.eventLoop
        return try await eventLoop.flatSubmit {
            reader.value.readResponse(isHead: isHead, keepBody: keepBody, timeout: timeout, eventLoop: eventLoop)
        }.get()
    }

    /// Exactly `count` bytes (e.g. WebSocket frames after a 101).
    func readBytes(_ count: Int, timeout: TimeAmount = .seconds(10)) async throws -> [UInt8] {
        let reader = self.reader
        let eventLoop = channel.eventLoop
        return try await eventLoop.flatSubmit { reader.value.readBytes(count, timeout: timeout, eventLoop: eventLoop) }.get()
    }

    /// Every byte not yet read, once the server closed the connection.
    func readUntilClose(timeout: TimeAmount = .seconds(10)) async throws -> [UInt8] {
        let reader = self.reader
        let eventLoop = channel.eventLoop
        return try await eventLoop.flatSubmit { reader.value.readUntilClose(timeout: timeout, eventLoop: eventLoop) }.get()
    }

    /// Throws unless the server closes the connection within `timeout`, with nothing more sent.
    func expectClosed(timeout: TimeAmount = .seconds(5)) async throws {
        let rest = try await readUntilClose(timeout: timeout)
        if !rest.isEmpty {
            throw RawResponseError(description: "unexpected bytes before close: \(String(decoding: rest, as: UTF8.self).debugDescription)")
        }
    }

    func close() async {
        try? await channel.close()
    }
}
