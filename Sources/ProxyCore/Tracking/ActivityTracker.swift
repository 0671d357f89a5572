import ActivityRules
import Foundation
import Ingest
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Decides, per request, whether it is an activity, and hands on the finished exchanges whose
/// status the rule records: on the sidecar's loops to the loop's `LoopActivityRows` and from there
/// to the `ActivityBuilder`, which builds the activities and rows off the loops; otherwise (tests)
/// built at once and handed to `recorder`.
///
/// The policy is an immutable object behind a lock that is held only to take a reference to it;
/// `replaceRules` swaps the whole value, so a request sees either the old rules or the new ones,
/// never a mix.
/// `recorder` must not block: it is called on event loops (the ingest writer only enqueues).
package final class ActivityTracker: Sendable {
    private let policy: NIOLockedValueBox<TrackingPolicy>
    private let recorder: @Sendable (ActivityEnvelope) -> Void
    /// Builds the loops' activities and rows off the loops; run it as a service (`Sidecar` does).
    /// Nil when activities go to a recorder.
    package let builder: ActivityBuilder?
    /// Whether any identity source reads response headers (so they must be kept).
    let readsResponseHeaders: Bool
    /// The request header that carries a request id, lowercased.
    static let requestIDHeader = "x-request-id"

    /// A tracker whose activities go to `writer` (the sidecar's, and `tracking-bench`'s): on the
    /// loops of `group`, through each loop's `LoopActivityRows` (`rows(for:)`) and `builder`, which
    /// builds them every `buildInterval`; elsewhere one by one.
    package init(
        policy: TrackingPolicy, writer: ActivityWriter, group: any EventLoopGroup, buildInterval: Duration = .milliseconds(10),
        builderCapacity: Int = 16_384, logger: Logger
    ) {
        self.policy = NIOLockedValueBox(policy)
        self.recorder = { envelope in
            logger.debug("activity", metadata: envelope.logMetadata)
            writer.record(envelope.record)
        }
        self.builder = ActivityBuilder(group: group, writer: writer, interval: buildInterval, capacity: builderCapacity, logger: logger)
        self.readsResponseHeaders = Self.readsResponseHeaders(policy)
    }

    /// A tracker that hands every activity to `recorder` (tests).
    init(policy: TrackingPolicy, recorder: @escaping @Sendable (ActivityEnvelope) -> Void) {
        self.policy = NIOLockedValueBox(policy)
        self.recorder = recorder
        self.builder = nil
        self.readsResponseHeaders = Self.readsResponseHeaders(policy)
    }

    private static func readsResponseHeaders(_ policy: TrackingPolicy) -> Bool {
        policy.identity.sources.contains {
            if case .responseHeader = $0 { return true }
            return false
        }
    }

    /// The finished requests of `eventLoop`, to pass to `finish` on that loop; nil when activities
    /// go to a recorder, or for a loop outside the group.
    package func rows(for eventLoop: any EventLoop) -> LoopActivityRows? {
        builder?.rows(for: eventLoop)
    }

    /// The policy in force now.
    var currentPolicy: TrackingPolicy { policy.withLockedValue { $0 } }

    /// Replaces the rules; the identity, client IP and privacy settings stay as configured.
    func replaceRules(_ rules: RuleSet) {
        policy.withLockedValue { current in
            current = TrackingPolicy(rules: rules, clientIP: current.clientIP, identity: current.identity, privacy: current.privacy)
        }
    }

    /// The activity-to-be of a request, or nil when no rule matches it. A request a rule matched
    /// but an exception excluded is counted in `traffic` under the exception's id.
    ///
    /// `headers` are the fields the proxy forwards (the rewriter's, with the peer appended to
    /// `X-Forwarded-For`). A request that becomes an activity and carries no request id gets one
    /// added to them, for the app to log the same id as the row. The activity keeps them as they
    /// are, sharing their storage with the forwarded head; the builder reads them as the app
    /// received them (`FinishedActivity.receivedFields`), off the event loop: converting them here
    /// was half of the begin's cost on the loop.
    package func begin(
        method: String, target: String, headers: inout HTTPHeaders, peer: String,
        random: inout some RandomNumberGenerator, traffic: LoopTraffic? = nil
    ) -> PendingActivity? {
        let policy = currentPolicy
        let match: RuleMatch
        switch policy.rules.decide(method: method, target: target) {
        case .recorded(let matched):
            match = matched
        case .excluded(by: let exception):
            traffic?.countExclusion(exception.id)
            return nil
        case .unmatched:
            return nil
        }
        let requestID = headers.first { HeaderName.equalsLowercase($0.name.utf8, Self.requestIDHeader.utf8) }?.value
        let madeRequestID = requestID == nil
        let id = requestID ?? Self.makeRequestID(using: &random)
        if madeRequestID { headers.add(name: Self.requestIDHeader, value: id) }
        return PendingActivity(
            policy: policy, match: match, peer: peer, forwardedHeaders: headers,
            requestID: id, madeRequestID: madeRequestID, occurredAt: Date(), startedAt: .now())
    }

    /// Hands on a finished exchange (to `rows` when given: the loop's, which the builder takes;
    /// otherwise built now for the recorder), unless the rule does not record this status.
    package func finish(
        _ pending: PendingActivity, _ exchange: CompletedExchange, random: inout some RandomNumberGenerator, rows: LoopActivityRows? = nil
    ) {
        guard pending.match.records(status: exchange.status) else { return }
        let finished = FinishedActivity(pending, exchange, endedAt: .now())
        if let rows {
            rows.add(finished, random: &random)
        } else if let envelope = finished.envelope(random: &random) {
            recorder(envelope)
        }
    }

    /// 16 random bytes as 32 lowercase hex digits, written straight into the string's storage.
    static func makeRequestID(using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next()
        let low = generator.next()
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for index in 0..<16 {
                let shift = UInt64(60 - 4 * index)
                buffer[index] = digits.utf8Start[Int((high >> shift) & 0xF)]
                buffer[16 + index] = digits.utf8Start[Int((low >> shift) & 0xF)]
            }
            return 32
        }
    }
}

/// An activity with what only the proxy knows: request id, time, duration, bytes, completeness.
struct ActivityEnvelope: Sendable {
    /// The row id, a UUIDv7.
    var id: UUID
    var activity: Activity
    var requestID: String
    var occurredAt: Date
    var durationMs: Double
    var requestBytes: Int
    var responseBytes: Int
    var completed: Bool
}

extension ActivityEnvelope {
    /// Log metadata for one activity, with the project's stable dotted keys. No cookies, tokens or
    /// query values: the path is normalised and metadata is already redacted.
    var logMetadata: Logger.Metadata {
        [
            "rule.id": "\(activity.ruleID)", "activity.type": "\(activity.activityType)",
            "http.request.method": "\(activity.method)", "url.path": "\(activity.path)",
            "http.response.status_code": "\(activity.status)", "client.address": "\(activity.clientIP)",
            "user.id": "\(activity.userID ?? "-")", "request.id": "\(requestID)",
        ]
    }
}
