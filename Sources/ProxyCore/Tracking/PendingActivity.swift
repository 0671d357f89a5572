import ActivityRules
import Foundation
import NIOCore
import NIOHTTP1

/// What the proxy keeps of a request that matched a rule, until its response ends.
///
/// Only matched requests carry one, so untracked requests pay nothing beyond the match itself.
/// A class: the handler keeps it in an optional and hands it on, and copying a struct of this
/// size (a policy, a match, headers, strings) cost a profile's 2.5% in outlined copies and
/// destroys. Used on its connection's event loop only.
package final class PendingActivity {
    /// The rules in force when the request arrived (a reload mid-request does not change its fate).
    let policy: TrackingPolicy
    let match: RuleMatch
    let peer: String
    /// The fields the proxy forwarded, the request id it added (if it made one) last.
    let forwardedHeaders: HTTPHeaders
    let requestID: String
    /// Whether the proxy made `requestID` (the request carried none) and added it to
    /// `forwardedHeaders`.
    let madeRequestID: Bool
    /// Wall-clock time of the request head, stored as `occurred_at`.
    let occurredAt: Date
    /// Monotonic time of the request head, for the duration.
    let startedAt: NIODeadline
    /// Response header fields, kept only when an identity source reads them.
    var responseHeaders: [(name: String, value: String)] = []

    init(
        policy: TrackingPolicy, match: RuleMatch, peer: String, forwardedHeaders: HTTPHeaders,
        requestID: String, madeRequestID: Bool, occurredAt: Date, startedAt: NIODeadline
    ) {
        self.policy = policy
        self.match = match
        self.peer = peer
        self.forwardedHeaders = forwardedHeaders
        self.requestID = requestID
        self.madeRequestID = madeRequestID
        self.occurredAt = occurredAt
        self.startedAt = startedAt
    }
}
