import Foundation
import Testing

@testable import TrackingProxy

@Suite struct MetadataJSONTests {
    @Test(arguments: [
        ("plain", "report-7"),
        ("quote and backslash", #"a "b" \c"#),
        ("controls", "line\nbreak\r\ttab\u{1}\u{1f}"),
        ("unicode", "Zürich → 東京 🚀"),
        ("empty", ""),
    ])
    func stringsRoundTripThroughAJSONParser(_ name: String, _ value: String) throws {
        let text = MetadataJSON.object([("value", .string(value)), ("n", .integer(-42)), ("ok", .boolean(true))])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(name): \(text)")
        #expect(parsed["value"] as? String == value)
        #expect(parsed["n"] as? Int == -42)
        #expect(parsed["ok"] as? Bool == true)
    }

    @Test func keysAreSortedSoEqualMetadataIsEqualText() {
        let text = MetadataJSON.object([("report_id", .string("7")), ("a", .integer(1)), ("Z", .boolean(false))])
        #expect(text == #"{"Z": false, "a": 1, "report_id": "7"}"#)
        #expect(MetadataJSON.object([]) == "{}")
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        #expect(MetadataJSON.object([("k", .string("\n\u{0}\u{1b}"))]) == #"{"k": "\n\u0000\u001b"}"#)
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
}
