import Ingest

extension ActivityEnvelope {
    /// The row for the `activity` table, as values the writer encodes straight into its tuple.
    /// Metadata is the rule's (path parameters, allow-listed query parameters and headers, already
    /// redacted), keys sorted (`Activity.metadataMembers` is) so equal metadata is equal text, then
    /// what the proxy measured: `request_bytes`, `response_bytes`, and `transfer_incomplete: true`
    /// when the response broke off.
    var rowValues: ActivityRowValues {
        var metadata: [(key: String, value: ActivityRowValues.MetadataValue)] = []
        metadata.reserveCapacity(activity.metadataMembers.count + 3)
        for member in activity.metadataMembers { metadata.append((member.key, .string(member.value))) }
        metadata.append(("request_bytes", .integer(requestBytes)))
        metadata.append(("response_bytes", .integer(responseBytes)))
        if !completed { metadata.append(("transfer_incomplete", .boolean(true))) }
        let columns = ActivityRecord(
            id: id, occurredAt: occurredAt, userID: activity.userID, activityType: activity.activityType,
            description: activity.description, method: activity.method, path: activity.path, status: activity.status,
            ipAddress: activity.clientIP, userAgent: activity.userAgent, metadataJSON: "", requestID: requestID,
            durationMs: durationMs, peerAddress: activity.peer,
            forwardedChain: activity.forwardedChain.isEmpty ? nil : activity.forwardedChain.joined(separator: ", "),
            ipVerified: activity.ipVerified, ruleID: activity.ruleID)
        return ActivityRowValues(columns: columns, metadata: metadata)
    }

    /// The row as a record (metadata as JSON text), not yet validated: for recorders and tests.
    var record: ActivityRecord { rowValues.record }
}
