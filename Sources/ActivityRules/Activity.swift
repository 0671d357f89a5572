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
    /// Path parameters and allow-listed query and header values, redacted.
    public var metadata: [String: String]
}
