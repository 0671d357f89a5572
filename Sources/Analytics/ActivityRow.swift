import PostgreSQL
/// One row of `activity` as analysts read it: every column of the contract, as text where
/// PostgreSQL's text form is what people want (addresses, JSON, times).
public struct ActivityRow: Hashable, Sendable {
    /// `id` (a UUIDv7), lower-case.
    public var id: String
    /// `occurred_at` in UTC, RFC 3339 with microseconds: `2026-11-20T10:00:00.123456Z`.
    public var occurredAt: String
    /// `user_id`; `nil` for anonymous requests.
    public var userID: String?
    /// `activity_type`, e.g. `report.download`.
    public var activityType: String
    /// `description`, as the rule wrote it.
    public var description: String
    /// `method` of the HTTP request.
    public var method: String?
    /// `path` of the HTTP request.
    public var path: String?
    /// `status` of the HTTP response.
    public var status: Int?
    /// `ip_address` in PostgreSQL's text form (`192.0.2.1`, `2001:db8::1`).
    public var ipAddress: String?
    /// `user_agent` of the client.
    public var userAgent: String?
    /// `metadata` as JSON text, exactly as PostgreSQL renders the `jsonb` value.
    public var metadataJSON: String
    /// `request_id`.
    public var requestID: String?
    /// `duration_ms` of the proxied request.
    public var durationMs: Double?
    /// `peer_address`, the TCP peer (often a load balancer).
    public var peerAddress: String?
    /// `forwarded_chain`, the X-Forwarded-For chain as received.
    public var forwardedChain: String?
    /// `ip_verified`: whether `ip_address` came from a trusted proxy chain.
    public var ipVerified: Bool
    /// `rule_id` of the rule that recorded the row.
    public var ruleID: String?

    /// The contract's column names, in the order of `columns` and of CSV and JSON output.
    public static let columnNames = [
        "id", "occurred_at", "user_id", "activity_type", "description", "method", "path", "status",
        "ip_address", "user_agent", "metadata", "request_id", "duration_ms", "peer_address",
        "forwarded_chain", "ip_verified", "rule_id",
    ]

    /// The `SELECT` list that `init(row:)` reads, in `columnNames` order. `abbrev` renders a
    /// host address without `/32` (the `::text` cast would add it).
    static let selectList = [
        "id::text", SQLTime.select("occurred_at"), "user_id", "activity_type", "description", "method", "path",
        "status::text", "abbrev(ip_address)", "user_agent", "metadata::text", "request_id", "duration_ms::text",
        "abbrev(peer_address)", "forwarded_chain", "ip_verified::text", "rule_id",
    ].joined(separator: ", ")

    /// Reads a row selected with `selectList`.
    ///
    /// - Throws: `StorageError` `.unexpectedAnswer` when PostgreSQL answered another number of
    ///   columns (a database answer is checked, never trusted to trap).
    init(row: [String?]) throws(StorageError) {
        guard row.count == Self.columnNames.count else {
            throw .unexpectedAnswer("read activity row", "a row has \(row.count) columns, not \(Self.columnNames.count)")
        }
        id = row[0] ?? ""
        occurredAt = row[1] ?? ""
        userID = row[2]
        activityType = row[3] ?? ""
        description = row[4] ?? ""
        method = row[5]
        path = row[6]
        status = row[7].flatMap { Int($0) }
        ipAddress = row[8]
        userAgent = row[9]
        metadataJSON = row[10] ?? "{}"
        requestID = row[11]
        durationMs = row[12].flatMap { Double($0) }
        peerAddress = row[13]
        forwardedChain = row[14]
        ipVerified = row[15] == "true" || row[15] == "t"
        ruleID = row[16]
    }

    /// The values as text in `columnNames` order; `nil` for SQL NULL.
    public var columns: [String?] {
        [
            id, occurredAt, userID, activityType, description, method, path, status.map(String.init),
            ipAddress, userAgent, metadataJSON, requestID, durationMs.map { String($0) }, peerAddress,
            forwardedChain, ipVerified ? "true" : "false", ruleID,
        ]
    }
}
