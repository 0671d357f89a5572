import Ingest

extension ActivityEnvelope {
    /// The row for the `activity` table. Metadata is the rule's (path parameters, allow-listed
    /// query parameters and headers, already redacted) plus what the proxy measured:
    /// `request_bytes`, `response_bytes`, and `transfer_incomplete: true` when the response broke off.
    var record: ActivityRecord {
        var fields: [(key: String, value: MetadataJSON.Value)] = activity.metadata.map { ($0.key, .string($0.value)) }
        fields.append(("request_bytes", .integer(requestBytes)))
        fields.append(("response_bytes", .integer(responseBytes)))
        if !completed { fields.append(("transfer_incomplete", .boolean(true))) }
        return ActivityRecord(
            id: id,
            occurredAt: occurredAt,
            userID: activity.userID,
            activityType: activity.activityType,
            description: activity.description,
            method: activity.method,
            path: activity.path,
            status: activity.status,
            ipAddress: activity.clientIP,
            userAgent: activity.userAgent,
            metadataJSON: MetadataJSON.object(fields),
            requestID: requestID,
            durationMs: durationMs,
            peerAddress: activity.peer,
            forwardedChain: activity.forwardedChain.isEmpty ? nil : activity.forwardedChain.joined(separator: ", "),
            ipVerified: activity.ipVerified,
            ruleID: activity.ruleID)
    }
}
