/// Applies `PrivacyConfiguration`: query redaction, user agent cap, IP truncation. Pure and `Sendable`.
public struct Privacy: Sendable {
    /// Lower-case query parameter names to redact.
    public let redactedQueryNames: Set<String>
    /// Longest user agent kept, in characters.
    public let userAgentMax: Int
    let ipv4Prefix: Int?
    let ipv6Prefix: Int?

    /// Builds from validated configuration.
    public init(_ configuration: PrivacyConfiguration) {
        redactedQueryNames = Set(configuration.redactQuery.map { $0.lowercased() })
        userAgentMax = configuration.userAgentMax
        ipv4Prefix = configuration.truncateIPv4Prefix
        ipv6Prefix = configuration.truncateIPv6Prefix
    }

    /// The user agent cut to `userAgentMax` characters.
    public func userAgent(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value.count <= userAgentMax ? value : String(value.prefix(userAgentMax))
    }

    /// The address with host bits cleared when truncation is configured; other text unchanged.
    public func ip(_ text: String) -> String {
        guard ipv4Prefix != nil || ipv6Prefix != nil, let address = IPAddress(text) else { return text }
        if address.isIPv4, let ipv4Prefix { return address.masked(prefix: ipv4Prefix).description }
        if !address.isIPv4, let ipv6Prefix { return address.masked(prefix: ipv6Prefix).description }
        return text
    }

    /// The request-target with redacted query values replaced, for logs: `/x?token=<redacted>&a=1`.
    public func redactedTarget(_ target: String) -> String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        let pairs = target[target.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = percentDecode(pair[..<equals].utf8, plusAsSpace: true).lowercased()
            return redactedQueryNames.contains(name) ? "\(pair[..<equals])=<redacted>" : String(pair)
        }
        return String(target[...mark]) + pairs.joined(separator: "&")
    }
}
