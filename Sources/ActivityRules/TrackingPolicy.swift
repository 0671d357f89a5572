import Foundation

/// Everything the proxy needs to turn requests into activities, built once from configuration:
/// the rule set, the client IP resolver, the identity resolver and the privacy settings.
///
/// Immutable and `Sendable`: build it off the event loop (it reads files), then share it; a reload
/// builds a new one and swaps it whole. A final class rather than a struct, so that a request
/// takes it with one retain instead of a copy of every field.
public final class TrackingPolicy: Sendable {
    /// The compiled rules.
    public let rules: RuleSet
    /// The client IP resolver; its drop list includes the identity request headers.
    public let clientIP: ClientIPResolver
    /// The identity resolver.
    public let identity: IdentityResolver
    /// Redaction and truncation.
    public let privacy: Privacy

    /// Creates a policy from parts.
    public init(rules: RuleSet, clientIP: ClientIPResolver, identity: IdentityResolver, privacy: Privacy) {
        self.rules = rules
        self.clientIP = clientIP
        self.identity = identity
        self.privacy = privacy
    }

    /// Validates `configuration`, loads its rules file and, through `tokenReaders`, the keys of its
    /// `jwt_claim` sources (relative paths against `directory`, default the working directory).
    /// Blocking file I/O.
    public init(
        configuration: TrackingConfiguration, directory: String? = nil, tokenReaders: BearerTokenReaderFactory, rules: RuleSet? = nil
    ) throws(RulesError) {
        try configuration.validate()
        let identity = try Self.identity(configuration.identity, directory: directory, tokenReaders: tokenReaders)
        if let rules {
            self.rules = rules
        } else {
            self.rules = try RuleSet.load(path: Self.resolve(configuration.rulesFile, directory))
        }
        self.identity = identity
        clientIP = ClientIPResolver(
            trusted: TrustedProxies(configuration.trustedProxies), sources: configuration.clientIP.sources,
            untrustedDropHeaders: identity.trustedRequestHeaders
        )
        privacy = Privacy(configuration.privacy)
    }

    static func resolve(_ path: String, _ directory: String?) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }

    static func identity(
        _ configuration: IdentityConfiguration, directory: String?, tokenReaders: BearerTokenReaderFactory
    ) throws(RulesError) -> IdentityResolver {
        var sources: [IdentityResolver.Source] = []
        for (index, source) in configuration.sources.enumerated() {
            if let header = source.header {
                sources.append(.header(header.lowercased()))
            } else if source.jwtClaim != nil {
                sources.append(.bearerToken(try tokenReaders(source, "tracking.identity.sources[\(index)]", directory)))
            } else if let header = source.responseHeader {
                sources.append(.responseHeader(header.lowercased(), strip: source.strip ?? true))
            }
        }
        return IdentityResolver(sources: sources)
    }

    /// Builds the activity for a matched request once the upstream answered, or nil when the
    /// status is not recorded by the rule. Pure; cheap enough for the event loop.
    public func activity(
        for match: RuleMatch, peer: String, requestHeaders: [(name: String, value: String)],
        responseHeaders: [(name: String, value: String)] = [], status: Int
    ) -> Activity? {
        guard match.records(status: status) else { return nil }
        let address = clientIP.resolve(peer: peer, headers: requestHeaders)
        let trusted = clientIP.isTrusted(peer: peer)
        let metadata = match.metadataMembers(headers: requestHeaders, redact: privacy.redactedQueryNames)
        return Activity(
            ruleID: match.ruleID, activityType: match.activityType,
            description: match.description(members: metadata, status: status),
            method: match.method, path: match.target.path, status: status,
            clientIP: privacy.ip(address.ip), ipVerified: address.verified, peer: privacy.ip(address.peer),
            forwardedChain: address.chain.map { privacy.forwardedEntry($0) },
            userAgent: privacy.userAgent(requestHeaders.last { headerName($0.name, is: "user-agent") }?.value),
            userID: identity.userID(requestHeaders: requestHeaders, responseHeaders: responseHeaders, peerTrusted: trusted),
            metadataMembers: metadata
        )
    }
}
