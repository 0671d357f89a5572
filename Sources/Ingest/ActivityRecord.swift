import Foundation

/// One tracked request, as one row of the `activity` table.
///
/// Plain values only: the proxy fills it from the request and response; `Ingest` never sees an
/// HTTP type. Build it with `init(...)`, which makes the UUIDv7 `id`; the writer validates it
/// (`validated()`) before it is queued.
public struct ActivityRecord: Sendable, Equatable, Codable {
    /// The row's identity, a UUIDv7 made by the sidecar (`ActivityRecord.makeID(at:)`).
    public var id: UUID
    /// When the request happened (`occurred_at`); also picks the partition.
    public var occurredAt: Date
    /// The authenticated user, if any (`user_id`).
    public var userID: String?
    /// The rule's activity type, e.g. `"report.download"` (`activity_type`).
    public var activityType: String
    /// A human sentence describing the activity (`description`).
    public var description: String
    /// The HTTP method, as text (`method`).
    public var method: String
    /// The request path, without the query (`path`).
    public var path: String
    /// The response status, 0...32767 (`status`).
    public var status: Int
    /// The client's IP address as text, IPv4 or IPv6 (`ip_address`).
    public var ipAddress: String?
    /// The `User-Agent` header (`user_agent`).
    public var userAgent: String?
    /// A JSON object, as text (`metadata`). The proxy serialises it.
    public var metadataJSON: String
    /// The request id (`request_id`).
    public var requestID: String?
    /// How long the request took, in milliseconds (`duration_ms`).
    public var durationMs: Double
    /// The TCP peer's IP address as text (`peer_address`).
    public var peerAddress: String?
    /// The `X-Forwarded-For` chain as received (`forwarded_chain`).
    public var forwardedChain: String?
    /// Whether `ipAddress` came from a trusted proxy chain (`ip_verified`).
    public var ipVerified: Bool
    /// The id of the rule that matched (`rule_id`).
    public var ruleID: String

    /// Makes a record; `id` defaults to a new UUIDv7 for `occurredAt`.
    public init(
        id: UUID? = nil,
        occurredAt: Date,
        userID: String?,
        activityType: String,
        description: String,
        method: String,
        path: String,
        status: Int,
        ipAddress: String?,
        userAgent: String?,
        metadataJSON: String = "{}",
        requestID: String?,
        durationMs: Double,
        peerAddress: String?,
        forwardedChain: String?,
        ipVerified: Bool,
        ruleID: String
    ) {
        self.id = id ?? Self.makeID(at: occurredAt)
        self.occurredAt = occurredAt
        self.userID = userID
        self.activityType = activityType
        self.description = description
        self.method = method
        self.path = path
        self.status = status
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.metadataJSON = metadataJSON
        self.requestID = requestID
        self.durationMs = durationMs
        self.peerAddress = peerAddress
        self.forwardedChain = forwardedChain
        self.ipVerified = ipVerified
        self.ruleID = ruleID
    }

    /// A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, 12 bits of sub-millisecond time
    /// (RFC 9562 §6.2, method 3), then 62 random bits, so ids sort by time and index well.
    public static func makeID(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return makeID(at: date, using: &generator)
    }

    /// A UUIDv7 with the random bits from `generator` (deterministic in tests). One 64-bit draw:
    /// the system generator costs a system call per draw, and this runs for every request.
    public static func makeID(at date: Date, using generator: inout some RandomNumberGenerator) -> UUID {
        // A date that is not a number, before 1970 or past the 48-bit field (year 10889) takes the
        // nearest time the id can hold: the conversion to an integer would trap on it.
        let unbounded = date.timeIntervalSince1970 * 1000
        let exact = unbounded.isNaN ? 0 : min(max(unbounded, 0), Double((UInt64(1) << 48) - 1))
        let milliseconds = UInt64(exact.rounded(.down))
        let fraction = UInt16(min(4095, (exact - exact.rounded(.down)) * 4096))
        let random2 = generator.next() as UInt64
        // Written in place in the 16-byte tuple (an array here was an allocation per request).
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { bytes in
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
            bytes[6] = 0x70 | UInt8(truncatingIfNeeded: fraction >> 8)  // version 7
            bytes[7] = UInt8(truncatingIfNeeded: fraction)
            bytes[8] = 0x80 | (UInt8(truncatingIfNeeded: random2 >> 56) & 0x3F) // variant 10
            for index in 9..<16 { bytes[index] = UInt8(truncatingIfNeeded: random2 >> (8 * (15 - index))) }
        }
        return UUID(uuid: uuid)
    }
}

