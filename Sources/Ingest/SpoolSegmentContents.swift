import NIOCore

/// The records of one spool segment file, decoded from its bytes: every whole, valid record in
/// order, and the damaged places skipped between them.
///
/// The format (written by `Spool`): an 8-byte header `TPSPOOL1`, then records
/// `[UInt32 length][UInt32 CRC32][payload]` (big-endian), a payload being one binary COPY tuple.
/// A record is taken only when its length fits the file, its CRC32 matches, its tuple decodes and
/// the record passes `ActivityRecord.validated()`; anything else is damage (a torn write, a flipped
/// bit, a foreign file). After damage the reader looks for the next whole record, so one torn
/// record never costs the records behind it.
///
/// Invariants, for any bytes (a fuzz target checks them): decoding never traps, never allocates
/// more than the records it returns (a length field is believed only up to the bytes that
/// follow it), and ends: at most `maximumResyncAttempts` candidate records are checked after damage.
public struct SpoolSegmentContents: Sendable {
    /// The whole, valid records, in file order.
    public private(set) var records: [ActivityRecord] = []
    /// Damaged places skipped: each is at least one lost record (a torn or corrupt record, or a
    /// header that is not a spool segment's).
    public private(set) var damagedRegions = 0
    /// Whether the file starts with the segment header `TPSPOOL1`.
    public private(set) var hasHeader = false

    /// The header every segment file starts with.
    public static let magic: [UInt8] = Array("TPSPOOL1".utf8)
    /// The bytes before each record's payload: length and CRC32.
    static let recordOverhead = 8
    /// The largest payload believed; a longer length prefix is damage.
    static let maximumPayloadBytes = 64 << 20
    /// The most candidate records examined while looking past damage in one file: bounds the work
    /// a hostile file can cause (each candidate costs a CRC over its claimed length).
    static let maximumResyncAttempts = 4_096
    /// The smallest tuple payload: the column count and seventeen field lengths.
    static let minimumPayloadBytes = 2 + 17 * 4

    /// Decodes a segment file's bytes.
    public init(decoding bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.magic.count, bytes.prefix(Self.magic.count).elementsEqual(Self.magic) else {
            // A file that is not a segment: nothing is believed. An empty file lost nothing.
            damagedRegions = bytes.isEmpty ? 0 : 1
            return
        }
        hasHeader = true
        var offset = Self.magic.count
        var attempts = 0
        while offset < bytes.count {
            if let (record, next) = Self.record(at: offset, in: bytes) {
                records.append(record)
                offset = next
                continue
            }
            damagedRegions += 1
            // Look for the next offset where a whole record starts.
            var candidate = offset + 1
            var found: Int?
            while candidate < bytes.count, attempts < Self.maximumResyncAttempts {
                guard let start = Self.nextCandidate(from: candidate, in: bytes) else { break }
                attempts += 1
                if Self.record(at: start, in: bytes) != nil {
                    found = start
                    break
                }
                candidate = start + 1
            }
            guard let found else { return }
            offset = found
        }
    }

    /// A file too large to be a segment: not read, counted as one damaged place.
    static var oversized: SpoolSegmentContents {
        var contents = SpoolSegmentContents(decoding: UnsafeRawBufferPointer(start: nil, count: 0))
        contents.damagedRegions = 1
        return contents
    }

    /// The record starting at `offset` and the offset after it, or `nil` when the bytes there are
    /// not a whole, valid record.
    static func record(at offset: Int, in bytes: UnsafeRawBufferPointer) -> (ActivityRecord, Int)? {
        let available = bytes.count - offset
        guard available >= recordOverhead else { return nil }
        let length = Int(readUInt32(bytes, at: offset))
        let checksum = readUInt32(bytes, at: offset + 4)
        guard length <= maximumPayloadBytes, length <= available - recordOverhead else { return nil }
        let payloadStart = offset + recordOverhead
        let payload = UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + length)])
        guard CRC32.checksum(payload) == checksum else { return nil }
        var buffer = ByteBuffer(bytes: payload)
        guard let tuple = BinaryCopyFormat.readTuple(from: &buffer), buffer.readableBytes == 0,
              let record = try? tuple.validated()
        else { return nil }
        return (record, payloadStart + length)
    }

    /// The first offset at or after `start` whose bytes look like a record's start: room for the
    /// smallest payload, which begins with the column count (17) and the id's length (16).
    /// A cheap filter before the CRC: random or zeroed bytes almost never pass it.
    static func nextCandidate(from start: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        let last = bytes.count - recordOverhead - minimumPayloadBytes
        guard start <= last else { return nil }
        let signature: [UInt8] = [0x00, 0x11, 0x00, 0x00, 0x00, 0x10]
        var offset = start
        while offset <= last {
            let payload = offset + recordOverhead
            if bytes[payload] == signature[0], bytes[payload + 1] == signature[1], bytes[payload + 2] == signature[2],
               bytes[payload + 3] == signature[3], bytes[payload + 4] == signature[4], bytes[payload + 5] == signature[5] {
                return offset
            }
            offset += 1
        }
        return nil
    }

    private static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        (UInt32(bytes[offset]) << 24) | (UInt32(bytes[offset + 1]) << 16) | (UInt32(bytes[offset + 2]) << 8) | UInt32(bytes[offset + 3])
    }
}
