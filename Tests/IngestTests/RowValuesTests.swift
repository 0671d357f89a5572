import Foundation
import Logging
import NIOCore
import Testing
@testable import Ingest
import PostgreSQL

/// Row values written straight into their tuple (`BinaryCopyFormat.writeTuple(ifClean:)`) store
/// exactly what the careful way stores (a record, validated, encoded), and values that validation
/// would repair or refuse never take the straight way.
@Suite struct RowValuesTests {
    static func values(
        userID: String? = "user-1", description: String = "Generated report 7", path: String = "/api/v1/reports/7/generate/",
        status: Int = 200, ipAddress: String? = "192.0.2.7", peerAddress: String? = "10.0.0.1",
        metadata: [(key: String, value: ActivityRowValues.MetadataValue)] = [
            ("report_id", .string("7")), ("request_bytes", .integer(16)), ("response_bytes", .integer(22)),
        ],
        occurredAt: Date = Date(timeIntervalSince1970: 1_790_000_000.25)
    ) -> ActivityRowValues {
        ActivityRowValues(
            columns: ActivityRecord(
                id: ActivityRecord.makeID(at: occurredAt), occurredAt: occurredAt, userID: userID, activityType: "generate_report",
                description: description, method: "POST", path: path, status: status, ipAddress: ipAddress, userAgent: "wrk",
                metadataJSON: "", requestID: "0123456789abcdef0123456789abcdef", durationMs: 1.5, peerAddress: peerAddress,
                forwardedChain: nil, ipVerified: false, ruleID: "report-generate"),
            metadata: metadata)
    }

    /// Writes `values` the straight way if it takes them; checks that the bytes are the careful way's.
    @discardableResult
    static func expectSameBytes(_ values: ActivityRowValues, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        var buffer = ByteBuffer()
        let clean = BinaryCopyFormat.writeTuple(ifClean: values, into: &buffer)
        if clean {
            #expect(buffer == values.carefulTuple, "the straight tuple differs from the careful one", sourceLocation: sourceLocation)
        } else {
            #expect(buffer.readableBytes == 0, "a refused straight write left bytes", sourceLocation: sourceLocation)
        }
        return clean
    }

    @Test func theProxysUsualRowIsWrittenStraightWithTheCarefulBytes() throws {
        #expect(Self.expectSameBytes(Self.values()))
        #expect(Self.expectSameBytes(Self.values(userID: nil, ipAddress: "2001:db8::7", metadata: [])))
        #expect(Self.expectSameBytes(Self.values(metadata: [("big", .integer(Int.min)), ("max", .integer(Int.max)), ("t", .boolean(true)), ("f", .boolean(false))])))
        #expect(Self.expectSameBytes(Self.values(description: "Zoë 🚀 \u{10FFFF}", metadata: [("name", .string("Zoë"))])))
        // The metadata text, read back, is what JSONText makes.
        let usual = Self.values()
        var buffer = ByteBuffer()
        #expect(BinaryCopyFormat.writeTuple(ifClean: usual, into: &buffer))
        var record = try #require(BinaryCopyFormat.readTuple(from: &buffer))
        #expect(abs(record.occurredAt.timeIntervalSince(usual.columns.occurredAt)) < 0.000_001)
        record.occurredAt = usual.columns.occurredAt
        #expect(record.metadataJSON == #"{"report_id":"7","request_bytes":16,"response_bytes":22}"#)
        #expect(record == usual.record)
    }

    /// Values validation would repair or refuse, named for the test's report (describing the
    /// values themselves would describe a date that is not a number, which traps in Foundation).
    struct Declined: CustomTestStringConvertible, Sendable {
        let reason: String
        let values: ActivityRowValues
        var testDescription: String { reason }
    }

    /// Each of these would be repaired or refused by validation, so the straight way declines it.
    @Test(arguments: [
        Declined(reason: "a NUL in a text column", values: values(description: "a\u{0}b")),
        Declined(reason: "a NUL in the user id", values: values(userID: "u\u{0}")),
        Declined(reason: "a user id longer than its index allows", values: values(userID: String(repeating: "u", count: 1025))),
        Declined(reason: "an address with a zone", values: values(ipAddress: "fe80::1%eth0")),
        Declined(reason: "a peer that is not an address", values: values(peerAddress: "unix:/tmp/socket")),
        Declined(reason: "a status beyond smallint", values: values(status: 32768)),
        Declined(reason: "a date before 1970", values: values(occurredAt: Date(timeIntervalSince1970: -1))),
        Declined(reason: "a date that is not a number", values: values(occurredAt: Date(timeIntervalSince1970: .nan))),
        Declined(reason: "a quote in a metadata value", values: values(metadata: [("q", .string("say \"hi\""))])),
        Declined(reason: "a control character in a metadata key", values: values(metadata: [("k\u{1}", .string("v"))])),
        Declined(reason: "a NUL in a metadata value", values: values(metadata: [("k", .string("\u{0}"))])),
        Declined(reason: "a line separator in a metadata value", values: values(metadata: [("k", .string("a\u{2028}b"))])),
        Declined(reason: "text over the record's limit", values: values(description: String(repeating: "d", count: ActivityRecord.maximumTextBytes))),
    ])
    func valuesValidationWouldChangeAreNotWrittenStraight(_ declined: Declined) {
        #expect(!Self.expectSameBytes(declined.values), "\(declined.reason)")
    }

    /// A record whose date is not a number is refused with a sentence; the message once described
    /// the date, which traps in Foundation (found by this suite).
    @Test func aDateThatIsNotANumberIsRefusedWithoutTrapping() {
        #expect(throws: StorageError.self) { try Self.values(occurredAt: Date(timeIntervalSince1970: .nan)).record.validated() }
        #expect(throws: StorageError.self) { try Self.values(occurredAt: Date(timeIntervalSince1970: .infinity)).record.validated() }
    }

    /// Values drawn from hostile pools, field by field: whatever the straight way writes equals the
    /// careful way's bytes, and it takes the clean ones (so the comparison is not vacuous).
    @Test func straightAndCarefulAgreeOnHostileValues() {
        let texts = ["plain", "", "say \"hi\"", "back\\slash", "nul\u{0}", "ctrl\u{1}\u{1F}", "line\u{2028}", "€ 100", "Zoë 🚀", String(repeating: "x", count: 1025)]
        let addresses: [String?] = ["192.0.2.1", nil, "2001:db8::1", "::ffff:192.0.2.1", "fe80::1%eth0", "999.1.1.1", "", "1.2.3.4\u{0}"]
        let statuses = [200, 0, -32768, 32767, 32768, -32769, Int.max]
        let dates = [1_790_000_000.5, 0, -0.5, 253_402_300_799, 253_402_300_800, .nan, .infinity]
        var generator = SeededGenerator(state: 0x5EED)
        // The pool's first entry is a clean value, taken two times in three: a row has seventeen
        // values, and rows with one hostile value in them must be common but not all.
        func pick<T>(_ pool: [T]) -> T { generator.next() % 3 != 0 ? pool[0] : pool[Int(generator.next() % UInt64(pool.count))] }
        var clean = 0
        for _ in 0..<4_000 {
            var metadata: [(key: String, value: ActivityRowValues.MetadataValue)] = []
            for _ in 0..<Int(generator.next() % 4) {
                switch generator.next() % 3 {
                case 0: metadata.append((pick(texts), .string(pick(texts))))
                case 1: metadata.append((pick(texts), .integer(Int(truncatingIfNeeded: generator.next()))))
                default: metadata.append((pick(texts), .boolean(generator.next() % 2 == 0)))
                }
            }
            let columns = ActivityRecord(
                id: ActivityRecord.makeID(at: Date()), occurredAt: Date(timeIntervalSince1970: pick(dates)),
                userID: generator.next() % 3 == 0 ? nil : pick(texts), activityType: pick(texts), description: pick(texts),
                method: pick(texts), path: pick(texts), status: pick(statuses), ipAddress: pick(addresses),
                userAgent: generator.next() % 3 == 0 ? nil : pick(texts), metadataJSON: "", requestID: pick(texts),
                durationMs: Double(bitPattern: generator.next()), peerAddress: pick(addresses),
                forwardedChain: generator.next() % 2 == 0 ? nil : pick(texts), ipVerified: generator.next() % 2 == 0, ruleID: pick(texts))
            let values = ActivityRowValues(columns: columns, metadata: metadata)
            if Self.expectSameBytes(values) { clean += 1 }
        }
        #expect(clean > 100, "only \(clean) of 4,000 drawn values were clean")
    }

    /// The writer takes values that are not clean the careful way: repaired and noted, or refused
    /// and counted as dropped.
    @Test func theWriterStoresADeclinedRowRepairedAndCountsARefusedOne() throws {
        let writer = ActivityWriter(
            configuration: makeConfiguration(url: "postgresql://postgres@127.0.0.1:1/none", spoolDir: temporarySpoolDirectory()),
            logger: Logger(label: "row-values-test"))
        var batch = ActivityRowBatch()
        #expect(writer.encode(Self.values(), into: &batch))
        #expect(writer.encode(Self.values(description: "a\u{0}b"), into: &batch))
        #expect(!writer.encode(Self.values(status: 40_000), into: &batch))
        let (rows, missing) = batch.take()
        #expect(rows.count == 2 && missing == 0)
        let repaired = try #require(rows.last?.record)
        #expect(repaired.description == "ab")
        #expect(repaired.metadataJSON.contains("description: NUL characters removed"), "\(repaired.metadataJSON)")
        #expect(writer.status().dropped == 1)
    }
}
