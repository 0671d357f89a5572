/// Where a request came from, as far as the proxy can tell.
public struct ClientAddress: Sendable, Hashable {
    /// The resolved client IP: the first untrusted hop, or the peer itself when it is not trusted.
    /// When an entry could not be parsed this is the last good address, or the raw peer text when
    /// even the peer is not an IP (a Unix socket, say).
    public var ip: String
    /// The direct TCP peer, as given (ports stripped).
    public var peer: String
    /// The forwarding chain as received (the source's entries, left to right), empty when no
    /// forwarding header was believed.
    public var chain: [String]
    /// True when the address is backed by the peer or a trusted hop's claim; false when every hop
    /// was trusted (so the origin is unknown) or an entry was unparsable.
    public var verified: Bool

    /// Creates a client address.
    public init(ip: String, peer: String, chain: [String], verified: Bool) {
        self.ip = ip
        self.peer = peer
        self.chain = chain
        self.verified = verified
    }
}

/// The forwarding headers the proxy should send upstream for one request.
public struct UpstreamForwarding: Sendable, Hashable {
    /// The `X-Forwarded-For` value to send (replacing any received).
    public var forwardedFor: String
    /// Whether received `X-Forwarded-Proto` / `X-Forwarded-Host` may be passed on (trusted peer only).
    public var passForwardedProtoAndHost: Bool
    /// Request headers (lower-case) to remove before forwarding: forged forwarding and identity
    /// headers from an untrusted peer. Empty for a trusted peer.
    public var dropHeaders: [String]
}
