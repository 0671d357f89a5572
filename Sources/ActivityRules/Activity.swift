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
    public var metadata: [String: String] {
        Dictionary(metadataMembers.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
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

    /// `members` sorted by the keys' UTF-8 bytes with one member per key: of equal keys the one
    /// added last, as assigning them to a dictionary in turn would keep.
    static func sortedUnique(_ members: [MetadataMember]) -> [MetadataMember] {
        guard members.count > 1 else { return members }
        let ordered = members.indices.sorted { first, second in
            let (a, b) = (members[first].key.utf8, members[second].key.utf8)
            if a.elementsEqual(b) { return first < second }
            return a.lexicographicallyPrecedes(b)
        }
        var result: [MetadataMember] = []
        result.reserveCapacity(members.count)
        for index in ordered {
            if let last = result.last, last.key.utf8.elementsEqual(members[index].key.utf8) {
                result[result.count - 1] = members[index]
            } else {
                result.append(members[index])
            }
        }
        return result
    }
}
