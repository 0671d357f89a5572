import Foundation
import Ingest
import Testing

@testable import ActivityRules
@testable import ProxyCore

/// The row an activity becomes: its metadata JSON, ids and fields.
@Suite struct ActivityRecordTests {
    static func envelope(metadata: [String: String], completed: Bool = true) -> ActivityEnvelope {
        let activity = Activity(
            ruleID: "report-generate", activityType: "generate_report", description: "Generated report 7", method: "POST",
            path: "/api/v1/reports/7/generate/", status: 200, clientIP: "203.0.113.7", ipVerified: true, peer: "10.0.0.2",
            forwardedChain: ["203.0.113.7", "10.0.0.1"], userAgent: "agent", userID: "alice", metadata: metadata)
        var random = ConnectionRandom()
        return ActivityEnvelope(
            id: ActivityRecord.makeID(at: Date(), using: &random), activity: activity, requestID: "r1", occurredAt: Date(),
            durationMs: 1.5, requestBytes: 2, responseBytes: 3, completed: completed)
    }

    @Test(arguments: [
        ("plain", "report-7"),
        ("quote and backslash", #"a "b" \c"#),
        ("controls", "line\nbreak\r\ttab\u{1}\u{1f}"),
        ("unicode", "Zürich → 東京 🚀"),
        ("empty", ""),
    ])
    func metadataRoundTripsThroughAJSONParser(_ name: String, _ value: String) throws {
        let record = Self.envelope(metadata: ["value": value]).record
        let parsed = try #require(
            try JSONSerialization.jsonObject(with: Data(record.metadataJSON.utf8)) as? [String: Any], "\(name): \(record.metadataJSON)")
        #expect(parsed["value"] as? String == value)
        #expect(parsed["request_bytes"] as? Int == 2)
        #expect(parsed["response_bytes"] as? Int == 3)
        #expect(parsed["transfer_incomplete"] == nil)
        #expect(try record.validated() == record)
    }

    @Test func ruleKeysAreSortedSoEqualMetadataIsEqualText() {
        let record = Self.envelope(metadata: ["report_id": "7", "a": "1", "Z": "z"]).record
        #expect(record.metadataJSON == #"{"Z":"z","a":"1","report_id":"7","request_bytes":2,"response_bytes":3}"#)
    }

    @Test func aBrokenOffTransferIsMarked() {
        let record = Self.envelope(metadata: [:], completed: false).record
        #expect(record.metadataJSON == #"{"request_bytes":2,"response_bytes":3,"transfer_incomplete":true}"#)
    }

    @Test func theRowCarriesTheEnvelopesIdAndTheChainAsReceived() {
        let envelope = Self.envelope(metadata: [:])
        let record = envelope.record
        #expect(record.id == envelope.id)
        #expect(record.forwardedChain == "203.0.113.7, 10.0.0.1")
        #expect(record.ipAddress == "203.0.113.7" && record.peerAddress == "10.0.0.2" && record.userID == "alice")
    }
}

@Suite struct ConnectionRandomTests {
    @Test func generatorsAreSeededApartAndIdsAreWellFormed() {
        var first = ConnectionRandom()
        var second = ConnectionRandom()
        let a = (0..<1_000).map { _ in first.next() }
        let b = (0..<1_000).map { _ in second.next() }
        #expect(Set(a).count == 1_000)
        #expect(Set(a).isDisjoint(with: b))
        let id = ActivityTracker.makeRequestID(using: &first)
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
    }

    /// Two words, high nibble first, zero-padded.
    @Test func requestIDIsTheTwoWordsInHex() {
        struct Fixed: RandomNumberGenerator {
            var words: [UInt64]
            mutating func next() -> UInt64 { words.removeFirst() }
        }
        var fixed = Fixed(words: [0x0123_4567_89AB_CDEF, 0xF])
        #expect(ActivityTracker.makeRequestID(using: &fixed) == "0123456789abcdef000000000000000f")
    }
}
