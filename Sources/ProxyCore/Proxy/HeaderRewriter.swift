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
    /// Forward request fields whose names contain `_` (`client.underscores_in_headers`). Off by
    /// default, as in nginx: WSGI and ASGI servers map `X_Forwarded_For` and `X-Forwarded-For` to
    /// the same variable, so a client could forge what the proxy vouches for. When on, a name that
    /// maps onto a field the proxy sets or guards is still dropped.
    var underscoresInHeaders = false

    /// What the proxy knows of the connection a request came on.
    struct Peer {
        /// The direct peer's IP address, without port.
        var address: String
        /// Whether the peer is a trusted proxy, whose `X-Forwarded-*` fields are believed.
        var isTrusted: Bool
    }

    func upstreamHead(for head: HTTPRequestHead, verdict: RequestHeadValidator.Verdict, peer: Peer) -> HTTPRequestHead {
        var originForm: String?
        var host: String?
        if let absolute = AbsoluteTarget(head.uri) {
            originForm = absolute.originForm
            host = String(absolute.authority)
        }
        var named: Set<String> = []
        var forwardedFor: String?
        var forwardedProto: String?
        var forwardedHost: String?
        // Field lines are collected in an array and wrapped once: `HTTPHeaders.add` re-checks every
        // name (ASCII, `Connection`), which cost ~1% of the proxy's CPU; names come from the
        // decoder, which accepts only tokens, or from here.
        var fields: [(String, String)] = []
        // Room for what is added: host, framing, the forwarding fields, and the tracker's request id.
        fields.reserveCapacity(head.headers.count + 6)
        for (name, value) in head.headers {
            let kind = HeaderName(name)
            switch kind {
            case .connection:
                Self.appendConnectionTokens(value, to: &named)
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
                if kind.isHopByHop { continue }
                if !peer.isTrusted, Self.isNamed(name, in: untrustedDroppedHeaders) || Self.isForwardingField(name) { continue }
                if name.utf8.contains(UInt8(ascii: "_")), !forwardsUnderscoreName(name) { continue }
                fields.append((name, value))
            }
        }
        // Fields named by `Connection` are hop-by-hop too (rare: one pass collects, this one drops).
        if !named.isEmpty { fields.removeAll { Self.isNamed($0.0, in: named) } }
        let clientHost = host ?? ""
        fields.append(("host", upstreamHost ?? clientHost))
        switch verdict.framing {
        case .none: break
        case .contentLength(let length): fields.append(("content-length", String(length)))
        case .chunked: fields.append(("transfer-encoding", "chunked"))
        }
        if verdict.isUpgrade {
            for value in head.headers["upgrade"] { fields.append(("upgrade", value)) }
            fields.append(("connection", "upgrade"))
        }
        fields.append(("x-forwarded-for", forwardedFor.map { "\($0), \(peer.address)" } ?? peer.address))
        fields.append(("x-forwarded-proto", forwardedProto ?? "http"))
        if let forwardedHost = forwardedHost ?? host { fields.append(("x-forwarded-host", forwardedHost)) }
        let headers = HTTPHeaders(fields)
        return Self.withHeaders(head, headers, uri: originForm)
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
        var named: Set<String> = []
        let status = response.status.code
        let bodyless = requestIsHead || (100..<200).contains(status) || status == 204 || status == 304
        var fields: [(String, String)] = []
        fields.reserveCapacity(response.headers.count + 2)
        var hasContentLength = false
        for (name, value) in response.headers {
            let kind = HeaderName(name)
            if kind == .upgrade, upgrading {
                fields.append((name, value))
                continue
            }
            if kind == .connection { Self.appendConnectionTokens(value, to: &named) }
            if kind.isHopByHop { continue }
            if kind == .contentLength {
                if status == 204 || (100..<200).contains(status) { continue }
                hasContentLength = true
            }
            if !strippedResponseHeaders.isEmpty, strippedResponseHeaders.contains(where: { HeaderName.equalsLowercase(name.utf8, $0.utf8) }) {
                continue
            }
            fields.append((name, value))
        }
        if !named.isEmpty {
            // Fields named by `Connection` are hop-by-hop too, `Content-Length` included (then the
            // proxy frames the body itself).
            fields.removeAll { !(upgrading && HeaderName($0.0) == .upgrade) && Self.isNamed($0.0, in: named) }
            if named.contains("content-length") { hasContentLength = false }
        }
        let framing: ResponseFraming
        if upgrading {
            fields.append(("connection", "upgrade"))
            return (Self.withHeaders(response, HTTPHeaders(fields), version: requestVersion), .none)
        } else if bodyless {
            framing = .none
        } else if hasContentLength {
            framing = .contentLength
        } else if requestVersion.minor >= 1 {
            fields.append(("transfer-encoding", "chunked"))
            framing = .chunked
        } else {
            framing = .closeDelimited
            keepAlive = false
        }
        if !keepAlive {
            fields.append(("connection", "close"))
        } else if requestVersion.minor == 0 {
            fields.append(("connection", "keep-alive"))
        }
        return (Self.withHeaders(response, HTTPHeaders(fields), version: requestVersion), framing)
    }

    /// `head` sent on as HTTP/1.1 with `headers` (and `uri` when given). A copy of the decoded head
    /// with only what changed set: a head's method, target, status and version live in a shared
    /// box, so building a new head, or setting them to the values they have, allocates a new one.
    private static func withHeaders(_ head: HTTPRequestHead, _ headers: HTTPHeaders, uri: String?) -> HTTPRequestHead {
        var result = head
        if let uri { result.uri = uri }
        if result.version != .http1_1 { result.version = .http1_1 }
        result.headers = headers
        return result
    }

    /// `response` with `headers`, in the client's `version`; see the request variant.
    private static func withHeaders(_ response: HTTPResponseHead, _ headers: HTTPHeaders, version: HTTPVersion) -> HTTPResponseHead {
        var result = response
        if result.version != version { result.version = version }
        result.headers = headers
        return result
    }

    /// Adds the field names listed in a `Connection` value, lowercased (they are hop-by-hop
    /// too), leaving out the connection options `close`, `keep-alive` and `upgrade`. A set: each
    /// field is then checked in constant time, however many options a message lists.
    static func appendConnectionTokens(_ value: String, to tokens: inout Set<String>) {
        // Nearly every message carries just `keep-alive` or `close`: recognised in place, without
        // splitting or lowercasing.
        if isConnectionOption(value.trimmingOWS) { return }
        for token in value.split(separator: ",") {
            let trimmed = token.trimmingOWS
            if trimmed.isEmpty || isConnectionOption(trimmed) { continue }
            tokens.insert(trimmed.lowercased())
        }
    }

    /// Whether a request field whose name contains `_` goes upstream: only with
    /// `underscoresInHeaders`, and never when, read with `-` for `_`, it names a field the proxy
    /// sets, frames with or guards.
    func forwardsUnderscoreName(_ name: String) -> Bool {
        guard underscoresInHeaders else { return false }
        let dashed = String(decoding: name.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self).lowercased()
        if HeaderName(dashed) != .other || dashed.hasPrefix("x-forwarded-") || dashed == "x-request-id" { return false }
        return !untrustedDroppedHeaders.contains(dashed)
    }

    /// Request or response trailer fields fit to forward (RFC 9110 §6.5.1): valid names and values,
    /// and none that frames, routes, authenticates or is hop-by-hop: a trailer must not change
    /// how the proxy or the receiver reads the message, nor smuggle what the head may not carry.
    /// Nil when no field is left.
    func forwardedTrailers(_ trailers: HTTPHeaders?) -> HTTPHeaders? {
        guard let trailers, !trailers.isEmpty else { return nil }
        var fields: [(String, String)] = []
        for (name, value) in trailers {
            guard RequestHeadValidator.isValidFieldName(name), RequestHeadValidator.isValidFieldValue(value),
                HeaderName(name) == .other, !name.utf8.contains(UInt8(ascii: "_"))
            else { continue }
            let lowered = name.lowercased()
            if lowered.hasPrefix("x-forwarded-") || Self.trailerForbidden.contains(lowered) || untrustedDroppedHeaders.contains(lowered)
                || strippedResponseHeaders.contains(lowered)
            {
                continue
            }
            fields.append((name, value))
        }
        return fields.isEmpty ? nil : HTTPHeaders(fields)
    }

    /// Fields a trailer never carries, besides those `HeaderName` knows and `X-Forwarded-*`.
    private static let trailerForbidden: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "www-authenticate", "proxy-authenticate",
        "content-type", "content-encoding", "content-range", "range", "cache-control", "x-request-id",
    ]

    /// `close`, `keep-alive` or `upgrade` in any case: connection options, not field names.
    private static func isConnectionOption(_ token: Substring) -> Bool {
        let bytes = token.utf8
        return HeaderName.equalsLowercase(bytes, "close".utf8) || HeaderName.equalsLowercase(bytes, "keep-alive".utf8)
            || HeaderName.equalsLowercase(bytes, "upgrade".utf8)
    }

    /// `X-Forwarded-*` in any case (`-Port`, `-Prefix`, `-Ssl`, … besides the three the proxy
    /// writes): only a trusted proxy may send them, as Django reads several.
    static func isForwardingField(_ name: String) -> Bool {
        let prefix = "x-forwarded-".utf8
        return name.utf8.count > prefix.count && HeaderName.equalsLowercase(name.utf8.prefix(prefix.count), prefix)
    }

    /// The forwarded head's fields with `X-Forwarded-For` as the client sent it: the proxy writes
    /// the received chain followed by `peer`, or `peer` alone; that appended entry is left out.
    /// One array, allocated once at the head's field count (an array made from a lazy sequence grew
    /// by doubling: four allocations for a typical head).
    static func receivedFields(of headers: HTTPHeaders, peer: String) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(headers.count)
        for field in headers {
            guard HeaderName(field.name) == .xForwardedFor else {
                fields.append(field)
                continue
            }
            if field.value == peer { continue }
            let suffix = ", " + peer
            guard field.value.hasSuffix(suffix) else {
                fields.append(field)
                continue
            }
            fields.append((field.name, String(field.value.dropLast(suffix.count))))
        }
        return fields
    }

    private static func isNamed(_ name: String, in tokens: [String]) -> Bool {
        tokens.contains { HeaderName.equalsLowercase(name.utf8, $0.utf8) }
    }

    private static func isNamed(_ name: String, in tokens: Set<String>) -> Bool {
        tokens.contains(name.lowercased())
    }
}
