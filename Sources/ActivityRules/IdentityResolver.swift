import Foundation

/// Finds the user behind a request from an ordered list of sources; the first that yields wins.
///
/// Sources: a request header set by a trusted auth proxy (believed only from trusted peers); a claim
/// of the `Authorization: Bearer` token, read by a `BearerTokenReader` (verified unless configured
/// otherwise: the application may accept the request on a session cookie or need no token at all,
/// so a token it never checked must not name a user); an upstream response header, which the proxy
/// may strip before the client sees it. No identity is fine: the user is nil.
public struct IdentityResolver: Sendable {
    /// One compiled identity source.
    public enum Source: Sendable {
        /// A request header from a trusted auth proxy, lower-case.
        case header(String)
        /// A claim of the bearer token, read by `reader`.
        case bearerToken(any BearerTokenReader)
        /// An upstream response header, lower-case.
        case responseHeader(String, strip: Bool)
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
            case let .bearerToken(reader):
                guard let authorization = lastValue("authorization", requestHeaders) else { continue }
                let parts = authorization.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "bearer" else { continue }
                let token = parts[1].drop { $0 == " " || $0 == "\t" }
                if !token.isEmpty, let value = reader.userID(bearerToken: token), !value.isEmpty { return value }
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
