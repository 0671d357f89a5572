import Foundation
import Logging
import NIOCore
import Testing
@testable import Ingest
@testable import PostgreSQL

@Suite struct RecordTests {
    @Test func uuidV7HasVersionVariantAndTime() {
        let date = Date(timeIntervalSince1970: 1_790_000_000.123)
        let id = ActivityRecord.makeID(at: date)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(milliseconds == 1_790_000_000_123)
        #expect(ActivityRecord.makeID(at: date) != id)
    }

    /// A date the id cannot hold gives the nearest time it can, never a trap (found by
    /// `RowValuesTests`: a date that is not a number trapped in the conversion to milliseconds).
    @Test(arguments: [(Double.nan, UInt64(0)), (-Double.infinity, 0), (-5, 0), (Double.infinity, (1 << 48) - 1), (1e300, (1 << 48) - 1)] as [(Double, UInt64)])
    func anIDForADateItCannotHoldIsClamped(seconds: Double, milliseconds: UInt64) {
        let id = ActivityRecord.makeID(at: Date(timeIntervalSince1970: seconds))
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        #expect(bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == milliseconds)
        #expect(bytes[6] >> 4 == 7)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// zlib's CRC agrees with the bit-at-a-time definition (reflected 0xEDB88320, init and final
    /// xor 0xFFFFFFFF) on every length up to 300 and on one spool-record-sized payload, so spool
    /// files written before the switch still read back.
    @Test func crc32AgreesWithTheDefinition() {
        func definition(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...300) + [4_096 + 3] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(CRC32.checksum(bytes) == definition(bytes), "length \(length)")
        }
    }

    @Test func copyTupleRoundTrips() throws {
        var record = makeRecord(3, metadata: #"{"é": "ü", "n": [1, 2]}"#)
        record.userID = nil
        record.description = "Zoë 🚀 \u{10FFFF}"
        record.peerAddress = "::ffff:192.0.2.1"
        var buffer = ByteBuffer()
        BinaryCopyFormat.writeTuple(record, into: &buffer)
        let decoded = try #require(BinaryCopyFormat.readTuple(from: &buffer))
        #expect(buffer.readableBytes == 0)
        #expect(decoded.id == record.id)
        #expect(abs(decoded.occurredAt.timeIntervalSince(record.occurredAt)) < 0.000_001)
        #expect(decoded.userID == nil)
        #expect(decoded.description == record.description)
        #expect(decoded.ipAddress == record.ipAddress)
        #expect(decoded.peerAddress == "::ffff:192.0.2.1")
        #expect(decoded.metadataJSON == record.metadataJSON)
        #expect(decoded.durationMs == record.durationMs)
        #expect(decoded.ipVerified == record.ipVerified)
    }

    /// The writer encodes a record once, where it is recorded: the tuple is `writeTuple`'s bytes,
    /// it reads back as the record, and it keeps the time that picks the partition.
    @Test func anEncodedActivityIsTheRecordsTuple() throws {
        var record = makeRecord(5, metadata: #"{"report_id": "7"}"#)
        record.forwardedChain = "198.51.100.7, 10.0.0.2"
        let encoded = EncodedActivity(validated: try record.validated())
        var expected = ByteBuffer()
        BinaryCopyFormat.writeTuple(try record.validated(), into: &expected)
        #expect(encoded.tuple == expected)
        #expect(encoded.occurredAt == record.occurredAt)
        let decoded = try #require(encoded.record)
        #expect(decoded.id == record.id && decoded.requestID == record.requestID && decoded.forwardedChain == record.forwardedChain)
        #expect(decoded.metadataJSON == record.metadataJSON && decoded.ruleID == record.ruleID)
    }

    /// A batch holds its rows in one buffer; taken, they are the records' tuples in order, and
    /// the batch is empty again.
    @Test func aRowBatchHandsOverItsRowsInOrder() throws {
        var batch = ActivityRowBatch()
        let records = try (0..<4).map { try makeRecord($0).validated() }
        for record in records { batch.append(validated: record) }
        #expect(batch.count == 4)
        let (rows, missing) = batch.take()
        #expect(missing == 0)
        #expect(batch.isEmpty && batch.take().rows.isEmpty)
        #expect(rows.map(\.tuple) == records.map { EncodedActivity(validated: $0).tuple })
        #expect(rows.map(\.occurredAt) == records.map(\.occurredAt))
        batch.append(validated: records[0])
        #expect(batch.take().rows.map(\.tuple) == [EncodedActivity(validated: records[0]).tuple])
    }

    /// A hand-off the queue cannot take whole: rows fill the queue, then the spool's hand-off
    /// list, and the rest are dropped and counted; none is lost silently.
    @Test func aHandOffCountsWhatTheQueueCannotTake() throws {
        var configuration = IngestConfiguration()
        configuration.queue.capacity = 2
        let writer = ActivityWriter(configuration: configuration, logger: Logger(label: "test"))
        var batch = ActivityRowBatch()
        for index in 0..<5 { #expect(writer.encode(makeRecord(index), into: &batch)) }
        writer.record(&batch)
        #expect(batch.isEmpty)
        let status = writer.status()
        #expect(status.queueDepth == 4 && status.dropped == 1)
        #expect(writer.shared.withLock { $0.queue.map(\.row) + $0.overflow }.requestIDs == (0..<4).map { "req-\($0)" })
    }

    /// Rows handed over after the writer stopped are dropped and counted (reason `stopped`).
    @Test func aHandOffAfterTheWriterStoppedIsCounted() throws {
        let writer = ActivityWriter(configuration: IngestConfiguration(), logger: Logger(label: "test"))
        writer.shared.withLock { $0.stopped = true }
        var batch = ActivityRowBatch()
        for index in 0..<3 { writer.encode(makeRecord(index), into: &batch) }
        writer.record(&batch)
        #expect(writer.status().dropped == 3 && writer.status().queueDepth == 0)
        #expect(writer.record(makeRecord(9)) == .dropped(.stopped))
    }

    static func change(_ name: String, _ r: inout ActivityRecord) {
        switch name {
        case "NUL in text is removed": r.description = "a\u{0}b"
        case "bad IP is nulled": r.ipAddress = "999.1.1.1"
        case "IPv6 zone is dropped": r.peerAddress = "fe80::1%eth0"
        case "NUL escape in metadata is removed": r.metadataJSON = #"{"a": "x\u0000y"}"#
        case "status above smallint": r.status = 40_000
        case "metadata array": r.metadataJSON = "[1]"
        case "metadata not JSON": r.metadataJSON = "{nope"
        case "date before 1970": r.occurredAt = Date(timeIntervalSince1970: -10)
        case "huge user_id is truncated": r.userID = String(repeating: "u", count: 5_000)
        case "huge activity_type": r.activityType = String(repeating: "t", count: 5_000)
        default: Issue.record("unknown case \(name)")
        }
    }

    @Test(arguments: [
        ("NUL in text is removed", true), ("bad IP is nulled", true), ("IPv6 zone is dropped", true),
        ("NUL escape in metadata is removed", true), ("status above smallint", false), ("metadata array", false),
        ("metadata not JSON", false), ("date before 1970", false), ("huge user_id is truncated", true),
        ("huge activity_type", false),
    ])
    func validation(name: String, accepted: Bool) throws {
        var record = makeRecord(1)
        Self.change(name, &record)
        if accepted {
            let repaired = try record.validated()
            #expect(!repaired.description.contains("\u{0}"), "\(name)")
            #expect(repaired.metadataJSON.contains("ingest_repairs"), "\(name)")
            #expect(!repaired.metadataJSON.contains("\\u0000"), "\(name)")
            if name == "bad IP is nulled" { #expect(repaired.ipAddress == nil) }
            if name == "IPv6 zone is dropped" { #expect(repaired.peerAddress == "fe80::1") }
        } else {
            #expect(throws: StorageError.self, "\(name)") { try record.validated() }
        }
    }

    /// A user id over 1,024 bytes is cut on a character boundary, never in the middle of a
    /// multi-byte character, and the cut is noted in the metadata.
    @Test(arguments: [
        ("u", 5_000, 1_024), ("é", 600, 1_024), ("€", 400, 1_023), ("🚀", 300, 1_024), ("a€", 400, 1_024),
    ])
    func longUserIDIsTruncatedOnACharacterBoundary(unit: String, repeats: Int, expectedBytes: Int) throws {
        var record = makeRecord(1)
        let original = String(repeating: unit, count: repeats)
        record.userID = original
        let repaired = try record.validated()
        let userID = try #require(repaired.userID)
        #expect(userID.utf8.count == expectedBytes)
        #expect(original.hasPrefix(userID))
        #expect(String(validating: Array(userID.utf8), as: UTF8.self) == userID)
        let metadata = try #require(try JSONSerialization.jsonObject(with: Data(repaired.metadataJSON.utf8)) as? [String: Any])
        #expect(metadata["n"] as? Int == 1, "the original metadata is kept")
        #expect(metadata["ingest_repairs"] as? [String] == ["user_id: truncated from \(original.utf8.count) to \(expectedBytes) bytes"])
    }

    @Test func userIDOfExactlyTheLimitIsKept() throws {
        var record = makeRecord(1)
        record.userID = String(repeating: "é", count: 512)
        #expect(try record.validated() == record)
    }

    @Test func validRecordIsUnchanged() throws {
        let record = makeRecord(2)
        #expect(try record.validated() == record)
    }
}
