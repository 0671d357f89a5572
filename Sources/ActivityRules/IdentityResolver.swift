import Foundation

/// Finds the user behind a request from an ordered list of sources; the first that yields wins.
///
/// Sources: a request header set by a trusted auth proxy (believed only from trusted peers); a claim
/// of the `Authorization: Bearer` JWT (optionally HS256-verified; only successful responses are
/// recorded, so the application has already accepted the token); an upstream response header,
/// which the proxy may strip before the client sees it. No identity is fine: the user is nil.
public struct IdentityResolver: Sendable {
    /// One compiled identity source.
    public enum Source: Sendable {
        /// A request header from a trusted auth proxy, lower-case.
        case header(String)
        /// A JWT claim; `keys` empty means the signature is not checked.
        case jwtClaim(String, keys: [HMACKey])
        /// An upstream response header, lower-case.
        case responseHeader(String, strip: Bool)
    }

    /// An HS256 key, optionally selected by `kid`.
    public struct HMACKey: Sendable, Hashable {
        /// The key id from a JWKS file; nil for a configured secret.
        public var kid: String?
        /// The key bytes.
        public var key: [UInt8]
    }

    /// The sources, in order.
    public let sources: [Source]

    /// Creates a resolver from compiled sources.
    public init(sources: [Source]) {
        self.sources = sources
    }

    /// Response headers (lower-case) the proxy must remove before answering the client.
    public var strippedResponseHeaders: [String] {
        sources.compactMap { if case let .responseHeader(name, true) = $0 { name } else { nil } }
    }

    /// Request headers (lower-case) that must not reach the upstream from an untrusted peer.
    public var trustedRequestHeaders: [String] {
        sources.compactMap { if case let .header(name) = $0 { name } else { nil } }
    }

    /// The user id, or nil when no source yields one.
    public func userID(requestHeaders: [(name: String, value: String)], responseHeaders: [(name: String, value: String)], peerTrusted: Bool) -> String? {
        for source in sources {
            switch source {
            case let .header(name):
                guard peerTrusted, let value = lastValue(name, requestHeaders) else { continue }
                return value
            case let .jwtClaim(claim, keys):
                guard let authorization = lastValue("authorization", requestHeaders) else { continue }
                let parts = authorization.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "bearer", let token = JWT(parts[1].trimmingSpaces) else { continue }
                if !keys.isEmpty, !token.verifiesHS256(keys: keys.map { ($0.kid, $0.key) }) { continue }
                if let value = token.claim(claim) { return value }
            case let .responseHeader(name, _):
                if let value = lastValue(name, responseHeaders) { return value }
            }
        }
        return nil
    }

    private func lastValue(_ name: String, _ headers: [(name: String, value: String)]) -> String? {
        guard let header = headers.last(where: { headerName($0.name, is: name) }) else { return nil }
        let value = header.value.trimmingSpaces
        return value.isEmpty ? nil : value
    }
}
