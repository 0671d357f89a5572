/// The header fields the proxy treats specially, recognised without allocating a lowercased copy.
enum HeaderName: Equatable {
    case host, contentLength, transferEncoding, connection, keepAlive, proxyConnection, te, upgrade
    case expect, trailer, xForwardedFor, xForwardedProto, xForwardedHost, other

    init(_ name: String) {
        self = Self.lookup(name.utf8)
    }

    private static let known: [(String, HeaderName)] = [
        ("host", .host), ("content-length", .contentLength), ("transfer-encoding", .transferEncoding),
        ("connection", .connection), ("keep-alive", .keepAlive), ("proxy-connection", .proxyConnection),
        ("te", .te), ("upgrade", .upgrade), ("expect", .expect), ("trailer", .trailer),
        ("x-forwarded-for", .xForwardedFor), ("x-forwarded-proto", .xForwardedProto),
        ("x-forwarded-host", .xForwardedHost),
    ]

    private static func lookup(_ name: String.UTF8View) -> HeaderName {
        let count = name.count
        // Most fields of a request are none of ours: the length alone rules most of them out.
        guard count == 2 || count == 4 || (6...17).contains(count) else { return .other }
        for (candidate, value) in known where candidate.utf8.count == count {
            if equalsLowercase(name, candidate.utf8) { return value }
        }
        return .other
    }

    /// Whether `name` equals `lowercase` ignoring ASCII case; `lowercase` must be lowercase.
    static func equalsLowercase(_ name: String.UTF8View, _ lowercase: String.UTF8View) -> Bool {
        guard name.count == lowercase.count else { return false }
        var other = lowercase.makeIterator()
        for byte in name {
            let folded = byte &- 0x41 < 26 ? byte | 0x20 : byte
            guard folded == other.next() else { return false }
        }
        return true
    }

    /// Hop-by-hop fields that never cross the proxy (RFC 9110 §7.6.1), besides those named by
    /// `Connection`.
    var isHopByHop: Bool {
        switch self {
        case .connection, .keepAlive, .proxyConnection, .te, .transferEncoding, .upgrade: true
        default: false
        }
    }
}
