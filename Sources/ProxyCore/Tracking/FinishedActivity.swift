import ActivityRules
import Foundation
import Ingest
import NIOCore
import NIOHTTP1

/// A tracked request whose response ended with a status its rule records: everything its activity
/// and row are built from, taken from the `PendingActivity` when the exchange finished.
///
/// The event loop makes it (a few field copies) and hands it to the `ActivityBuilder`, which builds
/// the activity and encodes the row on its own task, many requests at a time. So the identity is
/// worked out up to two build intervals (20 ms at most) after the response ended: a bearer token
/// is checked against its `exp` then, which the verifier's leeway (60 s by default) covers.
struct FinishedActivity: Sendable {
    let policy: TrackingPolicy
    let match: RuleMatch
    let peer: String
    /// The fields the proxy forwarded (`receivedFields` gives them as the app received them).
    let forwardedHeaders: HTTPHeaders
    let madeRequestID: Bool
    let responseHeaders: [(name: String, value: String)]
    let requestID: String
    let occurredAt: Date
    let durationMs: Double
    let exchange: CompletedExchange

    init(_ pending: PendingActivity, _ exchange: CompletedExchange, endedAt: NIODeadline) {
        policy = pending.policy
        match = pending.match
        peer = pending.peer
        forwardedHeaders = pending.forwardedHeaders
        madeRequestID = pending.madeRequestID
        responseHeaders = pending.responseHeaders
        requestID = pending.requestID
        occurredAt = pending.occurredAt
        durationMs = Double((endedAt - pending.startedAt).nanoseconds) / 1e6
        self.exchange = exchange
    }

    /// The activity with what only the proxy knows, or nil when the rule does not record the
    /// status (the tracker checks that before making one, so only a test sees nil).
    func envelope(random: inout some RandomNumberGenerator) -> ActivityEnvelope? {
        guard
            let activity = policy.activity(
                for: match, peer: peer, requestHeaders: receivedFields, responseHeaders: responseHeaders, status: exchange.status)
        else { return nil }
        return ActivityEnvelope(
            id: ActivityRecord.makeID(at: occurredAt, using: &random),
            activity: activity, requestID: requestID, occurredAt: occurredAt, durationMs: durationMs,
            requestBytes: exchange.requestBytes, responseBytes: exchange.responseBytes, completed: exchange.completed)
    }
}

extension FinishedActivity {
    /// The request's fields as the app received them, which tracking reads: the forwarded ones
    /// with `X-Forwarded-For` as the client sent it (`HeaderRewriter.receivedFields`) and without
    /// the request id the proxy added. When the proxy made the id the client sent none, so the
    /// one `X-Request-ID` is the proxy's; it was added last, where the search from the end finds
    /// it at once, and found by name it stays found if a later change adds a field after it.
    var receivedFields: [(name: String, value: String)] {
        var fields = HeaderRewriter.receivedFields(of: forwardedHeaders, peer: peer)
        guard madeRequestID else { return fields }
        if let made = fields.lastIndex(where: { HeaderName.equalsLowercase($0.name.utf8, ActivityTracker.requestIDHeader.utf8) }) {
            fields.remove(at: made)
        }
        return fields
    }
}
