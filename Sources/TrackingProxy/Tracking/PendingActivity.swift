import ActivityRules
import Foundation
import NIOCore

/// What the proxy keeps of a request that matched a rule, until its response ends.
///
/// Only matched requests carry one, so untracked requests pay nothing beyond the match itself.
struct PendingActivity {
    /// The rules in force when the request arrived (a reload mid-request does not change its fate).
    let policy: TrackingPolicy
    let match: RuleMatch
    let peer: String
    let requestHeaders: [(name: String, value: String)]
    let requestID: String
    /// Whether the proxy made `requestID` (the request carried none), so it must send it upstream.
    let madeRequestID: Bool
    /// Wall-clock time of the request head, stored as `occurred_at`.
    let occurredAt: Date
    /// Monotonic time of the request head, for the duration.
    let startedAt: NIODeadline
    /// Response header fields, kept only when an identity source reads them.
    var responseHeaders: [(name: String, value: String)] = []
}
