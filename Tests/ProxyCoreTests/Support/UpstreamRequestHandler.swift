import NIOCore
import NIOHTTP1

/// The test upstream's HTTP behaviours, chosen by path; the query carries parameters.
///
/// - `/echo` (any other path too): 200 with an `EchoReport` of the request as JSON.
/// - `/stream?bytes=N&framing=length|chunked`: N bytes of `PatternBody`, written as fast as the
///   connection takes them (writability), with Content-Length or chunked. HEAD gets the head only.
/// - `/status/204`, `/status/304`: that status, no body.
/// - `/hold`: the echo, but only when the test calls `TestUpstream.releaseHeld()`.
/// - `/truncate?bytes=N&framing=length|chunked`: a head promising N bytes, half of them, then close.
/// - `/drop`: close the connection without answering.
/// - `/drop-once?key=K`: close without answering the first time K is seen; the echo after that.
/// - `/hop`: a chunked "hello world" response carrying hop-by-hop fields that must not reach the client.
/// - `/ws`: the WebSocket upgrader answers before this handler sees the request.
///
/// Threading: all methods run on the channel's event loop.
final class UpstreamRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let upstream: TestUpstream
    private var context: ChannelHandlerContext?
    private var head: HTTPRequestHead?
    private var checksum = BodyChecksum()
    private var bodyLength = 0
    /// Bytes of `/stream` still to write.
    private var streamRemaining: Int?

    init(upstream: TestUpstream) {
        self.upstream = upstream
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            checksum = BodyChecksum()
            bodyLength = 0
            upstream.log.update { $0.heads.append(head) }
        case .body(let buffer):
            checksum.update(buffer)
            bodyLength += buffer.readableBytes
        case .end(let trailers):
            upstream.log.update { $0.completedRequests += 1 }
            guard let head else { return }
            respond(to: head, trailers: trailers)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream.log.update { $0.closedConnections += 1 }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump() }
        context.fireChannelWritabilityChanged()
    }

    private func respond(to head: HTTPRequestHead, trailers: HTTPHeaders?) {
        let (path, query) = Self.split(head.uri)
        switch path {
        case "/stream":
            let size = Int(query["bytes"] ?? "0") ?? 0
            let chunked = query["framing"] == "chunked"
            var headers = HTTPHeaders()
            headers.add(name: chunked ? "transfer-encoding" : "content-length", value: chunked ? "chunked" : String(size))
            writeHead(.ok, headers, for: head)
            if head.method == .HEAD {
                writeEnd(for: head)
            } else {
                streamRemaining = size
                pump()
            }
        case "/status/204", "/status/304":
            let status: HTTPResponseStatus = path.hasSuffix("204") ? .noContent : .notModified
            var headers = HTTPHeaders()
            if status == .notModified { headers.add(name: "etag", value: "\"v1\"") }
            writeHead(status, headers, for: head)
            writeEnd(for: head)
        case "/hold":
            let report = echo(head, trailers: trailers)
            let box = NIOLoopBound(self, eventLoop: context!.eventLoop)
            let eventLoop = context!.eventLoop
            upstream.hold {
                eventLoop.execute { box.value.writeEcho(report, for: head) }
            }
        case "/truncate":
            let size = Int(query["bytes"] ?? "0") ?? 0
            let chunked = query["framing"] == "chunked"
            var headers = HTTPHeaders()
            headers.add(name: chunked ? "transfer-encoding" : "content-length", value: chunked ? "chunked" : String(size))
            writeHead(.ok, headers, for: head)
            context?.write(wrapOutboundOut(.body(.byteBuffer(PatternBody(size: size / 2).blocks[0]))), promise: nil)
            let channel = context?.channel
            context?.flush()
            channel?.close(promise: nil)
        case "/drop":
            context?.close(promise: nil)
        case "/drop-once" where upstream.firstTime(query["key"] ?? ""):
            context?.close(promise: nil)
        case "/hop":
            var headers = HTTPHeaders()
            headers.add(name: "connection", value: "x-upstream-private")
            headers.add(name: "x-upstream-private", value: "secret")
            headers.add(name: "keep-alive", value: "timeout=5")
            headers.add(name: "proxy-connection", value: "keep-alive")
            headers.add(name: "te", value: "trailers")
            headers.add(name: "x-end-to-end", value: "kept")
            headers.add(name: "transfer-encoding", value: "chunked")
            writeHead(.ok, headers, for: head)
            for piece in ["hello", " ", "world"] {
                context?.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: piece)))), promise: nil)
            }
            writeEnd(for: head)
        default:
            writeEcho(echo(head, trailers: trailers), for: head)
        }
    }

    private func echo(_ head: HTTPRequestHead, trailers: HTTPHeaders?) -> EchoReport {
        EchoReport(
            method: head.method.rawValue, uri: head.uri, version: "\(head.version)",
            headers: head.headers.map { [$0.name, $0.value] }, bodyLength: bodyLength, bodyChecksum: checksum.description,
            trailers: trailers?.map { [$0.name, $0.value] } ?? [])
    }

    private func writeEcho(_ report: EchoReport, for head: HTTPRequestHead) {
        let json = report.json
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(json.count))
        writeHead(.ok, headers, for: head)
        context?.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: json)))), promise: nil)
        writeEnd(for: head)
    }

    /// Writes `/stream` blocks while the connection takes them; resumes on writability.
    private func pump() {
        guard let context, var remaining = streamRemaining, let head else { return }
        while remaining > 0, context.channel.isWritable {
            let count = min(remaining, PatternBody.blockSize)
            context.write(wrapOutboundOut(.body(.byteBuffer(PatternBody.block.getSlice(at: 0, length: count)!))), promise: nil)
            remaining -= count
        }
        streamRemaining = remaining
        if remaining == 0 {
            streamRemaining = nil
            writeEnd(for: head)
        } else {
            context.flush()
        }
    }

    private func writeHead(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, for head: HTTPRequestHead) {
        var headers = headers
        if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
        context?.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
    }

    private func writeEnd(for head: HTTPRequestHead) {
        guard let context else { return }
        if head.isKeepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// `/path?a=1&b=2` → (`/path`, [a: 1, b: 2]).
    static func split(_ uri: String) -> (path: String, query: [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1)
                query[String(keyValue[0])] = keyValue.count == 2 ? String(keyValue[1]) : ""
            }
        }
        return (String(parts[0]), query)
    }
}
