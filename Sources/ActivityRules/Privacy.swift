/// Applies `PrivacyConfiguration`: query redaction, user agent cap, IP truncation. Pure and `Sendable`.
public struct Privacy: Sendable {
    /// Lower-case query parameter names to redact.
    public let redactedQueryNames: Set<String>
    /// Longest user agent kept, in UTF-8 bytes.
    public let userAgentMax: Int
    let ipv4Prefix: Int?
    let ipv6Prefix: Int?

    /// What a forwarding-chain entry that is not an address becomes when IPs are truncated: it
    /// cannot be truncated, and it may still hold an address (`203.0.113.9%eth0`, `1.2.3.4:x`).
    public static let unparsableEntry = "<unparsable>"

    /// Builds from validated configuration.
    public init(_ configuration: PrivacyConfiguration) {
        redactedQueryNames = Set(configuration.redactQuery.map { $0.lowercased() })
        userAgentMax = configuration.userAgentMax
        ipv4Prefix = configuration.truncateIPv4Prefix
        ipv6Prefix = configuration.truncateIPv6Prefix
    }

    /// The user agent cut to at most `userAgentMax` UTF-8 bytes, on a scalar boundary (a cut
    /// never splits a character's bytes), so the stored value fits the byte bound it promises.
    public func userAgent(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        let utf8 = value.utf8
        guard utf8.count > userAgentMax else { return value }
        var end = utf8.index(utf8.startIndex, offsetBy: max(userAgentMax, 0))
        // A continuation byte (10xxxxxx) is inside a scalar: step back to the scalar's first byte.
        while end > utf8.startIndex, utf8[end] & 0b1100_0000 == 0b1000_0000 { end = utf8.index(before: end) }
        return String(decoding: utf8[..<end], as: UTF8.self)
    }

    /// Whether client addresses are truncated for some family.
    var truncates: Bool { ipv4Prefix != nil || ipv6Prefix != nil }

    /// The address with host bits cleared when truncation is configured; other text unchanged.
    public func ip(_ text: String) -> String {
        guard truncates, let address = IPAddress(text) else { return text }
        return truncated(address) ?? text
    }

    /// A forwarding-chain entry as stored. Without truncation, as received. With it, every
    /// address is truncated, in whatever form the entry wrote it (`1.2.3.4:80`, `[v6]:443`,
    /// `[v6]`, a port nginx would refuse), its port dropped; an entry of the family that is not
    /// truncated is kept; an entry that is no address becomes `unparsableEntry`.
    public func forwardedEntry(_ text: String) -> String {
        guard truncates else { return text }
        guard let address = IPAddress(stripping: text) else { return Self.unparsableEntry }
        return truncated(address) ?? text
    }

    /// The address truncated to its family's prefix, or nil when that family is not truncated.
    func truncated(_ address: IPAddress) -> String? {
        if address.isIPv4, let ipv4Prefix { return address.masked(prefix: ipv4Prefix).description }
        if !address.isIPv4, let ipv6Prefix { return address.masked(prefix: ipv6Prefix).description }
        return nil
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
