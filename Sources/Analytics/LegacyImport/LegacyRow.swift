import Foundation
import JSONWriting
import PostgreSQL

/// One row of the old middleware's `user_activity` table (Django `UserActivity`), read as text,
/// checked and repaired for `activity`, or refused with a reason.
///
/// Repairs (each noted in the row's metadata under `legacy_repairs`): an `ip_address` that is not
/// an IPv4 or IPv6 host address becomes NULL; a missing `activity_type` becomes `legacy.unknown`;
/// `user_id` and `activity_type` over 1,024 bytes (indexed columns) and `description` and
/// `user_agent` over 1 MiB are cut on a character boundary. Metadata that is not a JSON object is
/// wrapped as `{"legacy_metadata": value}` (NULL and JSON null become `{}`) by the INSERT.
/// Refused: no id, an id that is not a UUID, no timestamp, a timestamp outside 1970...9999.
struct LegacyRow {
    /// The source columns, in order, as the import selects them.
    static let selectList = """
        id::text, user_id::text, activity_type::text, description::text, ip_address::text, user_agent::text, metadata::text,
        to_char("timestamp", 'YYYY-MM-DD HH24:MI:SS.US'), extract(epoch FROM "timestamp")::float8
        """
    static let maximumIndexedBytes = 1_024
    static let maximumTextBytes = 1 << 20
    static let unknownType = "legacy.unknown"

    var id: String
    /// `YYYY-MM-DD HH:MI:SS.US`, UTC (the source session's time zone is UTC).
    var timestamp: String
    var occurredAt: Date
    var userID: String?
    var activityType: String
    var description: String
    var ipAddress: String?
    var userAgent: String?
    var metadata: String?
    var repairs: [String]

    /// Checks one source row (`selectList` order); a refusal says why.
    static func parse(_ row: [String?]) -> Result<LegacyRow, Refusal> {
        guard row.count == 9 else { return .failure(Refusal(id: nil, reason: "the source row has \(row.count) columns, not 9")) }
        guard let idText = row[0] else { return .failure(Refusal(id: nil, reason: "no id")) }
        guard let uuid = UUID(uuidString: idText) else { return .failure(Refusal(id: idText, reason: "the id is not a UUID")) }
        guard let timestamp = row[7], let epoch = row[8].flatMap(Double.init), epoch.isFinite else {
            return .failure(Refusal(id: idText, reason: "no timestamp"))
        }
        let occurredAt = Date(timeIntervalSince1970: epoch)
        guard epoch >= 0, epoch < 253_402_300_800 else { return .failure(Refusal(id: idText, reason: "the timestamp \(timestamp) is outside the years 1970...9999")) }
        var repairs: [String] = []
        var activityType = row[2] ?? ""
        if activityType.isEmpty {
            activityType = unknownType
            repairs.append("activity_type was empty: \(unknownType)")
        }
        var ipAddress = row[4]
        if let text = ipAddress {
            let host = text.hasSuffix("/32") || text.hasSuffix("/128") ? String(text.prefix { $0 != "/" }) : text
            if InetAddress.isValid(host) {
                ipAddress = host
            } else {
                ipAddress = nil
                repairs.append("ip_address \(JSONText.string(String(text.prefix(64)))) is not an address: null")
            }
        }
        let userID = cut(row[1], "user_id", maximumIndexedBytes, &repairs)
        activityType = cut(activityType, "activity_type", maximumIndexedBytes, &repairs) ?? unknownType
        let description = cut(row[3], "description", maximumTextBytes, &repairs) ?? ""
        let userAgent = cut(row[5], "user_agent", maximumTextBytes, &repairs)
        let parsed = LegacyRow(
            id: uuid.uuidString.lowercased(), timestamp: timestamp, occurredAt: occurredAt, userID: userID, activityType: activityType,
            description: description, ipAddress: ipAddress, userAgent: userAgent, metadata: row[6], repairs: repairs)
        return .success(parsed)
    }

    /// `value` cut to at most `limit` UTF-8 bytes on a Unicode scalar boundary; a cut is noted in `repairs`.
    private static func cut(_ value: String?, _ column: String, _ limit: Int, _ repairs: inout [String]) -> String? {
        guard let text = value, text.utf8.count > limit else { return value }
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            let size = UTF8.width(scalar)
            if bytes + size > limit { break }
            kept.append(scalar)
            bytes += size
        }
        repairs.append("\(column) cut from \(text.utf8.count) to \(bytes) bytes")
        return String(kept)
    }

    /// The row as a line of `COPY ... (FORMAT text)` for the staging table.
    func copyLine() -> String {
        let repairsJSON = repairs.isEmpty ? nil : JSONText.array(repairs.map(JSONText.string))
        let fields: [String?] = [id, timestamp + "+00", userID, activityType, description, ipAddress, userAgent, metadata, repairsJSON]
        return fields.map(Self.copyText).joined(separator: "\t") + "\n"
    }

    /// A value in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return escaped.
    static func copyText(_ value: String?) -> String {
        guard let value else { return "\\N" }
        var text = ""
        text.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": text += "\\\\"
            case "\t": text += "\\t"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\0": break  // PostgreSQL text cannot hold NUL; a PostgreSQL source has none
            default: text.unicodeScalars.append(character)
            }
        }
        return text
    }
}

/// A source row the import did not take, and why.
struct Refusal: Error {
    var id: String?
    var reason: String
}
