import Foundation
import NIOCore

/// PostgreSQL's binary `COPY` format for `activity` rows: the file header, one tuple per record,
/// the trailer (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
///
/// The tuple encoding is also the payload of a spool record, so a spooled record is exactly the
/// bytes PostgreSQL will receive. Each column is written in its type's binary "send" form.
enum BinaryCopyFormat {
    /// The columns of a tuple, in order. A contract with the schema (`Migrations`).
    static let columns = [
        "id", "occurred_at", "user_id", "activity_type", "description", "method", "path", "status",
        "ip_address", "user_agent", "metadata", "request_id", "duration_ms", "peer_address",
        "forwarded_chain", "ip_verified", "rule_id",
    ]
    static let columnList = columns.joined(separator: ", ")

    /// Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 UTC.
    static let postgresEpoch: TimeInterval = 946_684_800
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
    static let inetFamilyV4: UInt8 = 2
    static let inetFamilyV6: UInt8 = 3
    static let jsonbVersion: UInt8 = 1

    static func writeHeader(into buffer: inout ByteBuffer) {
        buffer.writeBytes(signature)
        buffer.writeInteger(UInt32(0))  // flags: no OIDs
        buffer.writeInteger(UInt32(0))  // header extension length
    }

    static func writeTrailer(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Int16(-1))
    }

    /// Microseconds since 2000-01-01 UTC, PostgreSQL's `timestamptz` on the wire.
    static func microseconds(_ date: Date) -> Int64 {
        Int64(((date.timeIntervalSince1970 - postgresEpoch) * 1_000_000).rounded())
    }

    static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: postgresEpoch + Double(microseconds) / 1_000_000)
    }

    /// Appends one tuple. The record must have been validated: an address that does not parse is
    /// written as NULL rather than trapping.
    static func writeTuple(_ record: ActivityRecord, into buffer: inout ByteBuffer) {
        buffer.writeInteger(Int16(columns.count))
        field(&buffer, 16) { buffer in
            withUnsafeBytes(of: record.id.uuid) { _ = buffer.writeBytes($0) }
        }
        field(&buffer, 8) { $0.writeInteger(microseconds(record.occurredAt)) }
        text(&buffer, record.userID)
        text(&buffer, record.activityType)
        text(&buffer, record.description)
        text(&buffer, record.method)
        text(&buffer, record.path)
        field(&buffer, 2) { $0.writeInteger(Int16(clamping: record.status)) }
        inet(&buffer, record.ipAddress)
        text(&buffer, record.userAgent)
        let json = record.metadataJSON.utf8
        field(&buffer, 1 + json.count) { buffer in
            buffer.writeInteger(jsonbVersion)
            buffer.writeBytes(json)
        }
        text(&buffer, record.requestID)
        field(&buffer, 8) { $0.writeInteger(record.durationMs.bitPattern) }
        inet(&buffer, record.peerAddress)
        text(&buffer, record.forwardedChain)
        field(&buffer, 1) { $0.writeInteger(UInt8(record.ipVerified ? 1 : 0)) }
        text(&buffer, record.ruleID)
    }

    private static func field(_ buffer: inout ByteBuffer, _ length: Int, _ body: (inout ByteBuffer) -> Void) {
        buffer.writeInteger(Int32(length))
        let start = buffer.writerIndex
        body(&buffer)
        assert(buffer.writerIndex - start == length, "a binary COPY field wrote a length other than it announced")
    }

    private static func text(_ buffer: inout ByteBuffer, _ value: String?) {
        guard let value else {
            buffer.writeInteger(Int32(-1))
            return
        }
        buffer.writeInteger(Int32(value.utf8.count))
        buffer.writeString(value)
    }

    private static func inet(_ buffer: inout ByteBuffer, _ value: String?) {
        let written: Void? = value.flatMap { value in
            InetAddress.withParsed(value) { address in
                let isIPv6 = address.count == 16
                field(&buffer, 4 + address.count) { buffer in
                    buffer.writeInteger(isIPv6 ? inetFamilyV6 : inetFamilyV4)
                    buffer.writeInteger(UInt8(isIPv6 ? 128 : 32))  // netmask bits: a single host
                    buffer.writeInteger(UInt8(0))  // is_cidr: false
                    buffer.writeInteger(UInt8(address.count))
                    buffer.writeBytes(address)
                }
            }
        }
        if written == nil { buffer.writeInteger(Int32(-1)) }
    }
}

extension BinaryCopyFormat {
    /// Reads back one tuple written by `writeTuple`; `nil` when the bytes are not such a tuple.
    static func readTuple(from buffer: inout ByteBuffer) -> ActivityRecord? {
        guard buffer.readInteger(as: Int16.self) == Int16(columns.count) else { return nil }
        var fields: [ByteBuffer?] = []
        fields.reserveCapacity(columns.count)
        for _ in columns {
            guard let length = buffer.readInteger(as: Int32.self) else { return nil }
            if length < 0 {
                fields.append(nil)
            } else {
                guard let slice = buffer.readSlice(length: Int(length)) else { return nil }
                fields.append(slice)
            }
        }
        func text(_ index: Int) -> String? { fields[index].map { String(buffer: $0) } }
        func inet(_ index: Int) -> String? {
            guard var field = fields[index], field.readableBytes >= 4 else { return nil }
            field.moveReaderIndex(forwardBy: 3)
            guard let count = field.readInteger(as: UInt8.self), let bytes = field.readBytes(length: Int(count)) else { return nil }
            return InetAddress(bytes: bytes)?.text
        }
        guard var idField = fields[0], let idBytes = idField.readBytes(length: 16),
              var timeField = fields[1], let micros = timeField.readInteger(as: Int64.self),
              var statusField = fields[7], let status = statusField.readInteger(as: Int16.self),
              var metadataField = fields[10], metadataField.readInteger(as: UInt8.self) == jsonbVersion,
              var durationField = fields[12], let durationBits = durationField.readInteger(as: UInt64.self),
              var verifiedField = fields[15], let verified = verifiedField.readInteger(as: UInt8.self),
              let activityType = text(3), let description = text(4), let method = text(5), let path = text(6),
              let ruleID = text(16)
        else { return nil }
        let uuid = UUID(uuid: (
            idBytes[0], idBytes[1], idBytes[2], idBytes[3], idBytes[4], idBytes[5], idBytes[6], idBytes[7],
            idBytes[8], idBytes[9], idBytes[10], idBytes[11], idBytes[12], idBytes[13], idBytes[14], idBytes[15]
        ))
        return ActivityRecord(
            id: uuid, occurredAt: date(microseconds: micros), userID: text(2), activityType: activityType,
            description: description, method: method, path: path, status: Int(status), ipAddress: inet(8),
            userAgent: text(9), metadataJSON: String(buffer: metadataField), requestID: text(11),
            durationMs: Double(bitPattern: durationBits), peerAddress: inet(13), forwardedChain: text(14),
            ipVerified: verified != 0, ruleID: ruleID
        )
    }
}

extension ActivityRecord {
    /// The records in PostgreSQL's binary `COPY` format for `activity`, columns in
    /// `ActivityRecord.copyColumns` order: exactly the bytes the writer sends. For exports and for
    /// `ingest-bench`, which loads the same file with `psql \copy` to compare.
    public static func binaryCopy(of records: [ActivityRecord]) -> [UInt8] {
        var buffer = ByteBuffer()
        BinaryCopyFormat.writeHeader(into: &buffer)
        for index in records.indices { BinaryCopyFormat.writeTuple(records[index], into: &buffer) }
        BinaryCopyFormat.writeTrailer(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// The `activity` columns of a binary COPY tuple, comma-separated, in order.
    public static var copyColumns: String { BinaryCopyFormat.columnList }
}
