import NIOHTTP1

/// Checks a request head before anything of it is forwarded, so that the upstream never sees a
/// message it could frame differently from the proxy (request smuggling, RFC 9112 §6.1–6.3, §11.2).
///
/// Pure and synchronous: it reads the head and returns a verdict.
struct RequestHeadValidator: Sendable {
    var maxHeaderBytes: Int
    var maxURLBytes: Int
    var maxBodyBytes: Int?

    /// What the proxy learnt from a valid head.
    struct Verdict: Equatable {
        var framing: RequestFraming
        var expectsContinue: Bool
        var isUpgrade: Bool
        /// The request asks for an upgrade (`Connection: upgrade` with `Upgrade`): NIO's decoder,
        /// like llhttp's, reads no further HTTP/1.1 after it, so unless the connection becomes a
        /// tunnel it closes after the response.
        var endsHTTP = false
    }

    func validate(_ head: HTTPRequestHead) -> Result<Verdict, RequestRejection> {
        guard head.version.major == 1, head.version.minor <= 1 else { return .failure(.unsupportedVersion) }
        if head.method == .CONNECT { return .failure(.connectNotAllowed) }
        if head.uri.utf8.count > maxURLBytes { return .failure(.uriTooLong) }
        guard Self.isValidTarget(head.uri, method: head.method) else { return .failure(.badRequest("invalid_target")) }
        if let absolute = AbsoluteTarget(head.uri), !Self.isValidHost(absolute.authority.utf8) {
            return .failure(.badRequest("invalid_host"))
        }

        var headerBytes = 0
        var hostCount = 0
        var contentLength: Int64?
        var transferCodings: [Substring] = []
        var sawTransferEncoding = false
        var expectsContinue = false
        var hasUpgrade = false
        var upgradesToWebSocketOnly = true
        var connectionOptions = 0
        for (name, value) in head.headers {
            headerBytes += name.utf8.count + value.utf8.count + 4
            guard Self.isValidFieldName(name) else { return .failure(.badRequest("invalid_header_name")) }
            guard Self.isValidFieldValue(value) else { return .failure(.badRequest("invalid_header_value")) }
            switch HeaderName(name) {
            case .host:
                hostCount += 1
                // RFC 9112 §3.2: a Host that is not a valid authority gets 400.
                guard Self.isValidHost(value.utf8) else { return .failure(.badRequest("invalid_host")) }
            case .connection:
                // Each option names a field the rewriter drops: bounded, so that stripping them
                // stays cheap whatever a client sends.
                connectionOptions += 1 + value.utf8.reduce(0) { $1 == UInt8(ascii: ",") ? $0 + 1 : $0 }
                if connectionOptions > Self.maxConnectionOptions { return .failure(.badRequest("too_many_connection_options")) }
            case .contentLength:
                if let rejection = Self.merge(contentLengthField: value, into: &contentLength) { return .failure(rejection) }
            case .transferEncoding:
                sawTransferEncoding = true
                transferCodings += value.split(separator: ",", omittingEmptySubsequences: false).map(\.trimmingOWS)
            case .expect:
                guard value.trimmingOWS.lowercased() == "100-continue" else { return .failure(.expectationFailed) }
                expectsContinue = head.version.minor >= 1
            case .upgrade:
                hasUpgrade = true
                if !Self.namesWebSocketOnly(value) { upgradesToWebSocketOnly = false }
            default:
                break
            }
        }
        if headerBytes > maxHeaderBytes { return .failure(.headersTooLarge) }
        if head.version.minor >= 1 && hostCount != 1 { return .failure(.badRequest(hostCount == 0 ? "missing_host" : "duplicate_host")) }
        if hostCount > 1 { return .failure(.badRequest("duplicate_host")) }

        let framing: RequestFraming
        if sawTransferEncoding {
            // A request with both is a smuggling attempt or a broken client (RFC 9112 §6.1); HTTP/1.0
            // has no transfer codings.
            if contentLength != nil { return .failure(.badRequest("content_length_with_transfer_encoding")) }
            if head.version.minor == 0 { return .failure(.badRequest("transfer_encoding_in_http10")) }
            guard let last = transferCodings.last, last.lowercased() == "chunked" else {
                return .failure(.badRequest("transfer_encoding_not_chunked"))
            }
            // "chunked" must be applied once and last; other codings we cannot forward faithfully.
            if transferCodings.count > 1 {
                let earlier = transferCodings.dropLast().map { $0.lowercased() }
                return .failure(earlier.contains("chunked") || earlier.contains("") ? .badRequest("transfer_encoding_not_chunked") : .unsupportedTransferCoding)
            }
            framing = .chunked
        } else if let contentLength {
            framing = contentLength == 0 ? .none : .contentLength(contentLength)
        } else {
            framing = .none
        }
        if let maxBodyBytes, case .contentLength(let length) = framing, length > Int64(maxBodyBytes) {
            return .failure(.bodyTooLarge)
        }
        // Only a WebSocket handshake (a GET) becomes a tunnel. Any other upgrade (h2c above all,
        // whose tunnel would carry requests the proxy never sees: "h2c smuggling") is forwarded as
        // a plain request, its `Upgrade` dropped as hop-by-hop.
        let asksUpgrade = hasUpgrade && Self.connectionTokens(head.headers).contains("upgrade")
        // A tab in `Connection` is optional white space to us but ends the option for llhttp, which
        // then keeps parsing HTTP after the request: a tunnel would then receive HTTP parts. Such a
        // request is never tunnelled (and still closes the connection after its response).
        let connectionHasTab = head.headers["connection"].contains { $0.utf8.contains(0x09) }
        let isUpgrade = asksUpgrade && upgradesToWebSocketOnly && head.method == .GET && !connectionHasTab
        return .success(
            Verdict(framing: framing, expectsContinue: expectsContinue && framing != .none, isUpgrade: isUpgrade, endsHTTP: asksUpgrade))
    }

    /// Origin-form (`/path?query`), asterisk-form for OPTIONS, or absolute-form `http://…`.
    static func isValidTarget(_ target: String, method: HTTPMethod) -> Bool {
        guard let first = target.utf8.first else { return false }
        if first == UInt8(ascii: "/") { return !target.utf8.contains { $0 <= 0x20 || $0 == 0x7F } }
        if target == "*" { return method == .OPTIONS }
        return AbsoluteTarget(target) != nil
    }

    /// RFC 9110 §5.1: a field name is a non-empty token.
    static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { tokenCharacters[Int($0)] }
    }

    /// RFC 9110 §5.5: no NUL, CR, LF or other controls except horizontal tab (obs-fold arrives
    /// as CR LF inside a value and is refused here).
    static func isValidFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 >= 0x20 ? $0 != 0x7F : $0 == 0x09 }
    }

    /// Every value, and every element of a comma list, must be plain digits and all equal; nil
    /// when `value` passes, with its length merged into `contentLength`.
    static func merge(contentLengthField value: String, into contentLength: inout Int64?) -> RequestRejection? {
        func merge(_ element: Substring) -> RequestRejection? {
            let digits = element.trimmingOWS
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int64(digits) else {
                return .badRequest("invalid_content_length")
            }
            if let contentLength, contentLength != length { return .badRequest("conflicting_content_length") }
            contentLength = length
            return nil
        }
        // The usual single value is checked in place: splitting made an array on every request with a body.
        guard value.utf8.contains(UInt8(ascii: ",")) else { return merge(Substring(value)) }
        for element in value.split(separator: ",", omittingEmptySubsequences: false) {
            if let rejection = merge(element) { return rejection }
        }
        return nil
    }

    /// Most `Connection` options a request may list.
    static let maxConnectionOptions = 32

    /// Whether every protocol an `Upgrade` value lists is `websocket` (any case).
    static func namesWebSocketOnly(_ value: String) -> Bool {
        var sawOne = false
        for token in value.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = token.trimmingOWS
            if trimmed.isEmpty { continue }
            guard HeaderName.equalsLowercase(trimmed.utf8, "websocket".utf8) else { return false }
            sawOne = true
        }
        return sawOne
    }

    /// RFC 9112 §3.2 with RFC 3986 §3.2.2: `uri-host [ ":" port ]`, where the host is an IP literal
    /// in brackets, or a reg-name / IPv4 address of unreserved, percent-encoded and sub-delim
    /// characters, and the port is digits. Empty is valid (a target without an authority).
    static func isValidHost(_ value: some Collection<UInt8>) -> Bool {
        var bytes = value[...]
        guard bytes.count <= 1024 else { return false }
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = bytes[bytes.index(after: bytes.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ ipLiteralCharacters[Int($0)] }) else { return false }
            bytes = bytes[bytes.index(after: close)...]
        } else {
            let end = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            var index = bytes.startIndex
            while index < end {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    // pct-encoded: "%" HEXDIG HEXDIG
                    let first = bytes.index(after: index)
                    guard first < end else { return false }
                    let second = bytes.index(after: first)
                    guard second < end, hexDigit(bytes[first]), hexDigit(bytes[second]) else { return false }
                    index = bytes.index(after: second)
                    continue
                }
                guard regNameCharacters[Int(byte)] else { return false }
                index = bytes.index(after: index)
            }
            bytes = bytes[end...]
        }
        guard let colon = bytes.first else { return true }
        guard colon == UInt8(ascii: ":") else { return false }
        return bytes.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func hexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }

    /// unreserved and sub-delims of RFC 3986.
    private static let regNameCharacters: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~!$&'()*+,;=".utf8.contains(UInt8(byte))
        }
    }

    /// What an IPv6 address or IPvFuture literal is written with (RFC 3986 §3.2.2), checked loosely.
    private static let ipLiteralCharacters: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return ":.-._~!$&'()*+,;=%".utf8.contains(UInt8(byte))
        }
    }

    /// The lowercased tokens of every `Connection` field line.
    static func connectionTokens(_ headers: HTTPHeaders) -> [String] {
        headers["connection"].flatMap { $0.split(separator: ",").map { $0.trimmingOWS.lowercased() } }
    }

    private static let tokenCharacters: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(byte))
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional white space).
    var trimmingOWS: Substring {
        let view = Substring(self)
        let start = view.firstIndex { $0 != " " && $0 != "\t" } ?? view.endIndex
        let end = view.lastIndex { $0 != " " && $0 != "\t" }.map { view.index(after: $0) } ?? start
        return view[start..<end]
    }
}
