import NIOHTTP1

/// Turns a client's request head into the head sent upstream, and an upstream response head into
/// the head sent to the client: hop-by-hop fields removed both ways (RFC 9110 §7.6.1), framing set
/// by the proxy, `X-Forwarded-*` written from what the proxy can vouch for.
///
/// Pure: no I/O, no state between requests.
struct HeaderRewriter: Sendable {
    /// `Host` sent upstream when `upstream.rewrite_host` is on; nil keeps the client's.
    var upstreamHost: String?
    /// Response header fields the client must not see (e.g. an identity header meant for the proxy),
    /// lowercased.
    var strippedResponseHeaders: [String] = []
    /// Request header fields only a trusted proxy may set (`Forwarded`, `X-Real-IP`, an identity
    /// header such as `X-Forwarded-User`), lowercased; dropped when the peer is not trusted, so a
    /// client cannot forge them. `X-Forwarded-*` are handled separately.
    var untrustedDroppedHeaders: [String] = ["forwarded", "x-real-ip"]

    /// What the proxy knows of the connection a request came on.
    struct Peer {
        /// The direct peer's IP address, without port.
        var address: String
        /// Whether the peer is a trusted proxy, whose `X-Forwarded-*` fields are believed.
        var isTrusted: Bool
    }

    func upstreamHead(for head: HTTPRequestHead, verdict: RequestHeadValidator.Verdict, peer: Peer) -> HTTPRequestHead {
        var uri = head.uri
        var host: String?
        if let absolute = AbsoluteTarget(head.uri) {
            uri = absolute.originForm
            host = String(absolute.authority)
        }
        let named = Self.connectionNamed(head.headers)
        var forwardedFor: String?
        var forwardedProto: String?
        var forwardedHost: String?
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 4)
        for (name, value) in head.headers {
            let kind = HeaderName(name)
            switch kind {
            case .host:
                if host == nil { host = value }
            case .xForwardedFor:
                if peer.isTrusted { forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value }
            case .xForwardedProto:
                if peer.isTrusted, forwardedProto == nil { forwardedProto = value }
            case .xForwardedHost:
                if peer.isTrusted, forwardedHost == nil { forwardedHost = value }
            case .contentLength, .expect:
                continue  // re-framed below; 100-continue is answered by the proxy
            default:
                if kind.isHopByHop || (!named.isEmpty && Self.isNamed(name, in: named)) { continue }
                if !peer.isTrusted, Self.isNamed(name, in: untrustedDroppedHeaders) { continue }
                headers.add(name: name, value: value)
            }
        }
        let clientHost = host ?? ""
        headers.add(name: "host", value: upstreamHost ?? clientHost)
        switch verdict.framing {
        case .none: break
        case .contentLength(let length): headers.add(name: "content-length", value: String(length))
        case .chunked: headers.add(name: "transfer-encoding", value: "chunked")
        }
        if verdict.isUpgrade {
            for value in head.headers["upgrade"] { headers.add(name: "upgrade", value: value) }
            headers.add(name: "connection", value: "upgrade")
        }
        headers.add(name: "x-forwarded-for", value: forwardedFor.map { "\($0), \(peer.address)" } ?? peer.address)
        headers.add(name: "x-forwarded-proto", value: forwardedProto ?? "http")
        if let forwardedHost = forwardedHost ?? host { headers.add(name: "x-forwarded-host", value: forwardedHost) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: uri, headers: headers)
    }

    /// How the response body is delimited towards the client.
    enum ResponseFraming: Equatable {
        case none, contentLength, chunked
        /// HTTP/1.0 client and no length known: the body ends when the proxy closes the connection.
        case closeDelimited
    }

    /// The head for the client. `keepAlive` says whether the proxy intends to keep the client
    /// connection open; it is turned off when the body can only be delimited by closing.
    func clientHead(
        for response: HTTPResponseHead, requestVersion: HTTPVersion, requestIsHead: Bool, keepAlive: inout Bool, upgrading: Bool
    ) -> (HTTPResponseHead, ResponseFraming) {
        let named = Self.connectionNamed(response.headers)
        let status = response.status.code
        let bodyless = requestIsHead || (100..<200).contains(status) || status == 204 || status == 304
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 2)
        var hasContentLength = false
        for (name, value) in response.headers {
            let kind = HeaderName(name)
            if kind == .upgrade, upgrading {
                headers.add(name: name, value: value)
                continue
            }
            if kind.isHopByHop || (!named.isEmpty && Self.isNamed(name, in: named)) { continue }
            if kind == .contentLength {
                if status == 204 || (100..<200).contains(status) { continue }
                hasContentLength = true
            }
            if !strippedResponseHeaders.isEmpty, strippedResponseHeaders.contains(where: { HeaderName.equalsLowercase(name.utf8, $0.utf8) }) {
                continue
            }
            headers.add(name: name, value: value)
        }
        let framing: ResponseFraming
        if upgrading {
            headers.add(name: "connection", value: "upgrade")
            return (HTTPResponseHead(version: requestVersion, status: response.status, headers: headers), .none)
        } else if bodyless {
            framing = .none
        } else if hasContentLength {
            framing = .contentLength
        } else if requestVersion.minor >= 1 {
            headers.add(name: "transfer-encoding", value: "chunked")
            framing = .chunked
        } else {
            framing = .closeDelimited
            keepAlive = false
        }
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if requestVersion.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        return (HTTPResponseHead(version: requestVersion, status: response.status, headers: headers), framing)
    }

    /// Field names listed in `Connection`, lowercased; they are hop-by-hop too.
    static func connectionNamed(_ headers: HTTPHeaders) -> [String] {
        var tokens: [String] = []
        for (name, value) in headers where HeaderName(name) == .connection {
            for token in value.split(separator: ",") {
                let lowered = token.trimmingOWS.lowercased()
                if !lowered.isEmpty, lowered != "close", lowered != "keep-alive", lowered != "upgrade" { tokens.append(lowered) }
            }
        }
        return tokens
    }

    private static func isNamed(_ name: String, in tokens: [String]) -> Bool {
        tokens.contains { HeaderName.equalsLowercase(name.utf8, $0.utf8) }
    }
}
