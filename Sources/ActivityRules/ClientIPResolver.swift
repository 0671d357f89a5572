/// Resolves the client IP behind trusted proxies, resisting forged headers.
///
/// Forwarding headers are believed only when the direct peer is trusted. `X-Forwarded-For` follows
/// nginx `real_ip_recursive on` exactly (entries and ports as in `XForwardedFor`, networks by
/// family as in `IPNetwork`): walk right to left from the peer; while the current address is
/// trusted step left; the first untrusted address is the client; if every entry is trusted the
/// leftmost wins; an unparsable entry stops the walk and keeps the last good address. `Forwarded`
/// (RFC 7239 `for=`) walks the same way; `X-Real-IP` is taken as is. The first configured source
/// present on the request is used. Immutable and `Sendable`; every method is pure.
public struct ClientIPResolver: Sendable {
    /// Which header a client IP is read from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// `X-Forwarded-For`, walked right to left (nginx `real_ip_recursive on`).
        case xForwardedFor = "x_forwarded_for"
        /// RFC 7239 `Forwarded`, its `for=` values walked right to left.
        case forwarded
        /// `X-Real-IP`, taken as is.
        case xRealIP = "x_real_ip"

        /// The header name, lower-case.
        var header: String {
            switch self {
            case .xForwardedFor: "x-forwarded-for"
            case .forwarded: "forwarded"
            case .xRealIP: "x-real-ip"
            }
        }
    }

    /// The trusted networks.
    public let trusted: TrustedProxies
    /// The sources, in order of preference.
    public let sources: [Source]
    /// Extra request headers (lower-case) to drop from untrusted peers, e.g. the identity header.
    public let untrustedDropHeaders: [String]

    /// Creates a resolver.
    public init(trusted: TrustedProxies, sources: [Source] = [.xForwardedFor], untrustedDropHeaders: [String] = []) {
        self.trusted = trusted
        self.sources = sources
        self.untrustedDropHeaders = untrustedDropHeaders
    }

    /// Whether the direct peer is a trusted proxy; call once per connection.
    public func isTrusted(peer: String) -> Bool {
        guard let ip = IPAddress(stripping: peer) else { return false }
        return trusted.contains(ip)
    }

    /// Resolves the client address for a request from `peer` with `headers` (any case, repeated
    /// lines allowed).
    public func resolve(peer: String, headers: [(name: String, value: String)]) -> ClientAddress {
        guard let peerIP = IPAddress(stripping: peer) else {
            return ClientAddress(ip: peer, peer: peer, chain: [], verified: false)
        }
        let peerText = peerIP.description
        guard trusted.contains(peerIP) else {
            return ClientAddress(ip: peerText, peer: peerText, chain: [], verified: true)
        }
        for source in sources {
            var values: [String] = []
            for header in headers where headerName(header.name, is: source.header) { values.append(header.value) }
            guard !values.isEmpty else { continue }
            switch source {
            case .xForwardedFor:
                // Each entry is parsed once, from the header's bytes (no intermediate strings).
                var chain: [String] = []
                var addresses: [IPAddress?] = []
                chain.reserveCapacity(8)
                addresses.reserveCapacity(8)
                for var value in values {
                    value.withUTF8 { XForwardedFor.append($0, chain: &chain, addresses: &addresses) }
                }
                guard !chain.isEmpty else { continue }
                return walk(chain: chain, addresses: addresses, peer: peerIP, peerText: peerText)
            case .forwarded:
                let chain = ForwardedHeader.forValues(values)
                guard !chain.isEmpty else { continue }
                return walk(chain: chain, addresses: chain.map { IPAddress(stripping: $0) }, peer: peerIP, peerText: peerText)
            case .xRealIP:
                let value = values[values.count - 1].trimmingSpaces
                guard let ip = IPAddress(stripping: value) else {
                    return ClientAddress(ip: peerText, peer: peerText, chain: [value], verified: false)
                }
                return ClientAddress(ip: ip.description, peer: peerText, chain: [value], verified: true)
            }
        }
        return ClientAddress(ip: peerText, peer: peerText, chain: [], verified: false)
    }

    /// nginx `real_ip_recursive on`: from the right, step left while the address is trusted.
    /// `addresses[i]` is `chain[i]` parsed, nil when unparsable.
    private func walk(chain: [String], addresses: [IPAddress?], peer: IPAddress, peerText: String) -> ClientAddress {
        var current = peer
        for address in addresses.reversed() {
            guard let ip = address else {
                return ClientAddress(ip: current.description, peer: peerText, chain: chain, verified: false)
            }
            current = ip
            if !trusted.contains(ip) {
                return ClientAddress(ip: ip.description, peer: peerText, chain: chain, verified: true)
            }
        }
        return ClientAddress(ip: current.description, peer: peerText, chain: chain, verified: false)
    }

    /// The forwarding headers to send upstream: a trusted peer's chain is extended with the peer;
    /// an untrusted peer's forwarding headers are dropped and the chain starts at the peer.
    public func upstreamForwarding(peer: String, headers: [(name: String, value: String)]) -> UpstreamForwarding {
        let peerText = IPAddress(stripping: peer)?.description ?? peer
        guard isTrusted(peer: peer) else {
            return UpstreamForwarding(
                forwardedFor: peerText, passForwardedProtoAndHost: false,
                dropHeaders: ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto", "x-real-ip"] + untrustedDropHeaders
            )
        }
        let existing = headers.filter { headerName($0.name, is: "x-forwarded-for") }
            .flatMap { $0.value.split(separator: ",") }.map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        return UpstreamForwarding(forwardedFor: (existing + [peerText]).joined(separator: ", "), passForwardedProtoAndHost: true, dropHeaders: [])
    }

    /// The `X-Forwarded-For` value to send upstream (see `upstreamForwarding`).
    public func forwardedFor(peer: String, headers: [(name: String, value: String)]) -> String {
        upstreamForwarding(peer: peer, headers: headers).forwardedFor
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String { String(trimmedSlice) }

    var trimmedSlice: Substring {
        let utf8 = self.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end, utf8[start] == 32 || utf8[start] == 9 { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)] == 32 || utf8[utf8.index(before: end)] == 9 { end = utf8.index(before: end) }
        return self[start..<end]
    }
}

/// Whether a header name equals a lower-case ASCII name, ignoring case, without allocating.
func headerName(_ name: String, is lowercased: String) -> Bool {
    guard name.utf8.count == lowercased.utf8.count else { return false }
    for (a, b) in zip(name.utf8, lowercased.utf8) where (a >= 65 && a <= 90 ? a + 32 : a) != b { return false }
    return true
}

extension String {
    var trimmingSpaces: String { Substring(self).trimmingSpaces }
}
