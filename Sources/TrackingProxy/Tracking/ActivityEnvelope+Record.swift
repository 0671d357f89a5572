import Foundation
import Ingest

extension ActivityEnvelope {
    /// The row for the `activity` table. Metadata is the rule's (path parameters, allow-listed
    /// query parameters and headers, already redacted) plus what the proxy measured:
    /// `request_bytes`, `response_bytes`, and `transfer_incomplete: true` when the response broke off.
    var record: ActivityRecord {
        var metadata: [String: Any] = activity.metadata
        metadata["request_bytes"] = requestBytes
        metadata["response_bytes"] = responseBytes
        if !completed { metadata["transfer_incomplete"] = true }
        let json = (try? JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) }
        return ActivityRecord(
            occurredAt: occurredAt,
            userID: activity.userID,
            activityType: activity.activityType,
            description: activity.description,
            method: activity.method,
            path: activity.path,
            status: activity.status,
            ipAddress: activity.clientIP,
            userAgent: activity.userAgent,
            metadataJSON: json ?? "{}",
            requestID: requestID,
            durationMs: durationMs,
            peerAddress: activity.peer,
            forwardedChain: activity.forwardedChain.isEmpty ? nil : activity.forwardedChain.joined(separator: ", "),
            ipVerified: activity.ipVerified,
            ruleID: activity.ruleID)
    }
}
