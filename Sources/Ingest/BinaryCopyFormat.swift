import Foundation
import NIOCore
import PostgreSQL

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

    /// Appends one tuple. The record must have been validated (its texts then fit the format's
    /// 32-bit lengths): an address that does not parse is written as NULL rather than trapping.
    static func writeTuple(_ record: ActivityRecord, into buffer: inout ByteBuffer) {
        writeTuple(
            record, ipAddress: InetField(record.ipAddress), peerAddress: InetField(record.peerAddress),
            metadataBytes: record.metadataJSON.utf8.count, into: &buffer
        ) { $0.text(record.metadataJSON, withLength: false) }
    }

    /// Appends the tuple of `columns`, whose addresses are already parsed, with `metadata` as its
    /// `metadata` column: it stores exactly `metadataBytes` of JSON (`columns.metadataJSON` is
    /// not read).
    ///
    /// The tuple's size is computed first and its bytes stored into memory reserved once: one
    /// `ByteBuffer` call per record instead of one per value. In a debug build (the tests), where
    /// NIO's generic integer writes are not specialised, the ~40 calls cost ~180 µs per record,
    /// and the spool's hand-off could not keep up with 5,000 records/s on a busy machine.
    static func writeTuple(
        _ columns: borrowing ActivityRecord, ipAddress: InetField, peerAddress: InetField, metadataBytes: Int,
        into buffer: inout ByteBuffer, metadata: (inout TupleWriter) -> Void
    ) {
        // The column count, a length per column, then the values.
        var size = 2 + 4 * BinaryCopyFormat.columns.count + 16 + 8 + 2 + (1 + metadataBytes) + 8 + 1
        size += ipAddress.valueBytes + peerAddress.valueBytes
        size += TupleWriter.bytes(columns.userID) + TupleWriter.bytes(columns.activityType) + TupleWriter.bytes(columns.description)
        size += TupleWriter.bytes(columns.method) + TupleWriter.bytes(columns.path) + TupleWriter.bytes(columns.userAgent)
        size += TupleWriter.bytes(columns.requestID) + TupleWriter.bytes(columns.forwardedChain) + TupleWriter.bytes(columns.ruleID)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            guard let base = raw.baseAddress, raw.count >= size else { return 0 }
            var writer = TupleWriter(base)
            writer.integer(Int16(BinaryCopyFormat.columns.count))
            writer.integer(Int32(16))
            withUnsafeBytes(of: columns.id.uuid) { writer.bytes($0) }
            writer.integer(Int32(8))
            writer.integer(microseconds(columns.occurredAt))
            writer.text(columns.userID)
            writer.text(columns.activityType)
            writer.text(columns.description)
            writer.text(columns.method)
            writer.text(columns.path)
            writer.integer(Int32(2))
            writer.integer(Int16(clamping: columns.status))
            writer.inet(ipAddress)
            writer.text(columns.userAgent)
            writer.integer(Int32(1 + metadataBytes))
            writer.integer(jsonbVersion)
            let metadataStart = writer.cursor
            metadata(&writer)
            assert(metadataStart.distance(to: writer.cursor) == metadataBytes, "metadata wrote a size other than it announced")
            writer.text(columns.requestID)
            writer.integer(Int32(8))
            writer.integer(columns.durationMs.bitPattern)
            writer.inet(peerAddress)
            writer.text(columns.forwardedChain)
            writer.integer(Int32(1))
            writer.integer(UInt8(columns.ipVerified ? 1 : 0))
            writer.text(columns.ruleID)
            let written = base.distance(to: writer.cursor)
            assert(written == size, "a binary COPY tuple wrote a size other than it computed")
            return written
        }
    }
}

/// Stores a tuple's values big-endian into memory reserved for exactly them (`writeTuple` computed
/// the size). Unaligned stores are fine for raw memory (SE-0349).
struct TupleWriter {
    private(set) var cursor: UnsafeMutableRawPointer

    init(_ base: UnsafeMutableRawPointer) {
        cursor = base
    }

    /// The bytes a text column's value takes after its length: its UTF-8 (none for NULL).
    static func bytes(_ text: String?) -> Int {
        text?.utf8.count ?? 0
    }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        cursor.storeBytes(of: value.bigEndian, as: T.self)
        cursor += MemoryLayout<T>.size
    }

    /// Moves past `count` bytes the caller stored at `cursor`.
    mutating func skip(_ count: Int) {
        cursor += count
    }

    mutating func bytes(_ raw: UnsafeRawBufferPointer) {
        guard let source = raw.baseAddress, !raw.isEmpty else { return }
        cursor.copyMemory(from: source, byteCount: raw.count)
        cursor += raw.count
    }

    /// A text column: its length (-1 for NULL) and its UTF-8; only the UTF-8 when `withLength` is false.
    mutating func text(_ value: String?, withLength: Bool = true) {
        guard var value else {
            integer(Int32(-1))
            return
        }
        if withLength { integer(Int32(value.utf8.count)) }
        value.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    mutating func inet(_ field: InetField) {
        guard field.count > 0 else {
            integer(Int32(-1))
            return
        }
        let isIPv6 = field.count == 16
        integer(Int32(4 + field.count))
        integer(isIPv6 ? BinaryCopyFormat.inetFamilyV6 : BinaryCopyFormat.inetFamilyV4)
        integer(UInt8(isIPv6 ? 128 : 32))  // netmask bits: a single host
        integer(UInt8(0))  // is_cidr: false
        integer(UInt8(field.count))
        withUnsafeBytes(of: field.address) { bytes(UnsafeRawBufferPointer(rebasing: $0.prefix(field.count))) }
    }
}

/// An address column parsed once, for both the size and the bytes: 4 or 16 bytes, or none (NULL).
struct InetField {
    var count = 0
    var address: (UInt64, UInt64) = (0, 0)

    init(_ text: String?) {
        guard let text else { return }
        var parsed: (UInt64, UInt64) = (0, 0)
        let count = InetAddress.withParsed(text) { source in
            withUnsafeMutableBytes(of: &parsed) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(16))) }
            return min(source.count, 16)
        } ?? 0
        self.count = count
        self.address = parsed
    }

    /// The bytes the value takes after its length: family, bits, is_cidr, count, address.
    var valueBytes: Int { count > 0 ? 4 + count : 0 }
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
