/// One recorded activity, as decided by the rules; the proxy adds request id, timestamps, duration
/// and byte counts before handing it to ingest.
public struct Activity: Sendable, Hashable {
    /// The rule that matched, e.g. `report-generate`.
    public var ruleID: String
    /// The activity type, e.g. `generate_report`.
    public var activityType: String
    /// The rendered description, e.g. `Generated report 7`.
    public var description: String
    /// The request method.
    public var method: String
    /// The normalised path.
    public var path: String
    /// The upstream response status.
    public var status: Int
    /// The resolved client IP (truncated when configured).
    public var clientIP: String
    /// Whether the client IP is verified (see `ClientAddress.verified`).
    public var ipVerified: Bool
    /// The direct peer (truncated when configured).
    public var peer: String
    /// The forwarding chain as received.
    public var forwardedChain: [String]
    /// The user agent, capped in length.
    public var userAgent: String?
    /// The user id, or nil when no identity source yielded one.
    public var userID: String?
    /// Path parameters and allow-listed query and header values, redacted: one member per key,
    /// sorted by the keys' UTF-8 bytes, the order the row's metadata JSON is written in.
    public var metadataMembers: [MetadataMember]

    /// The metadata as a dictionary (for reading; the activity keeps `metadataMembers`).
    public var metadata: [String: String] { MetadataMember.dictionary(metadataMembers) }
}

extension Activity {
    /// An activity whose metadata is given as a dictionary (kept as sorted members).
    public init(
        ruleID: String, activityType: String, description: String, method: String, path: String, status: Int, clientIP: String,
        ipVerified: Bool, peer: String, forwardedChain: [String], userAgent: String?, userID: String?, metadata: [String: String]
    ) {
        self.init(
            ruleID: ruleID, activityType: activityType, description: description, method: method, path: path, status: status,
            clientIP: clientIP, ipVerified: ipVerified, peer: peer, forwardedChain: forwardedChain, userAgent: userAgent, userID: userID,
            metadataMembers: MetadataMember.sortedUnique(metadata.map { MetadataMember(key: $0.key, value: $0.value) }))
    }
}

/// One metadata key and its value.
///
/// The activity keeps its few members in a sorted array rather than a dictionary: a tracked
/// request made, hashed and iterated a dictionary for one or two keys, then sorted them for the row
/// (`bench/tracking-profile.sh`, 2026-12-03).
public struct MetadataMember: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// `members` as a dictionary assigned them in turn would hold them, sorted by the keys' UTF-8
    /// bytes: one member per key, where keys are equal by canonical equivalence as a dictionary's
    /// are (`"é"` precomposed and decomposed are one key), with the first key's bytes and the last
    /// value. A few members, compared in turn.
    static func sortedUnique(_ members: [MetadataMember]) -> [MetadataMember] {
        guard members.count > 1 else { return members }
        var unique: [MetadataMember] = []
        unique.reserveCapacity(members.count)
        for member in members {
            if let index = unique.firstIndex(where: { $0.key == member.key }) {
                unique[index].value = member.value
            } else {
                unique.append(member)
            }
        }
        unique.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return unique
    }

    /// Members (unique, as `sortedUnique` makes them) as a dictionary.
    static func dictionary(_ members: [MetadataMember]) -> [String: String] {
        Dictionary(members.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}
