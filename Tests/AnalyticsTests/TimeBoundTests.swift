import JSONWriting
import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL
@testable import Analytics

@Suite struct TimeBoundTests {
    static let now = referenceNow

    @Test(arguments: [
        ("7d", -7 * 86_400.0), ("24h", -86_400), ("30m", -1_800), ("2w", -14 * 86_400), ("0d", 0), ("now", 0), (" 1h ", -3_600),
    ] as [(String, Double)])
    func relative(text: String, offset: Double) throws {
        #expect(try TimeBound(parsing: text).resolve(now: Self.now, as: .lower) == Self.now.addingTimeInterval(offset))
    }

    @Test(arguments: [
        ("2026-11-20T10:00:00Z", 1_795_168_800.0),
        ("2026-11-20t10:00:00z", 1_795_168_800),
        ("2026-11-20 10:00:00+01:00", 1_795_165_200),
        ("2026-11-20T10:00:00.5Z", 1_795_168_800.5),
    ] as [(String, Double)])
    func rfc3339(text: String, epoch: Double) throws {
        let bound = try TimeBound(parsing: text)
        #expect(bound.resolve(now: Self.now, as: .lower).timeIntervalSince1970 == epoch)
        #expect(bound.resolve(now: Self.now, as: .upper).timeIntervalSince1970 == epoch)
    }

    @Test func dateIsAWholeDay() throws {
        let bound = try TimeBound(parsing: "2026-11-20")
        #expect(bound.resolve(now: Self.now, as: .lower).timeIntervalSince1970 == 1_795_132_800)
        #expect(bound.resolve(now: Self.now, as: .upper).timeIntervalSince1970 == 1_795_132_800 + 86_400)
    }

    @Test(arguments: ["", "7x", "-5d", "d", "yesterday", "2026-13-01", "2026-02-30", "2026-11-20T25:00:00Z", "20261120", "1.5h"])
    func invalid(text: String) {
        #expect {
            _ = try TimeBound(parsing: text)
        } throws: { error in
            (error as? StorageError)?.isInvalidInput == true && "\(error)".contains("2026-11-20")
        }
    }
}

@Suite struct InputValidationTests {
    @Test(arguments: [(0, 0), (101, 0), (1000, 0), (25, -1)])
    func badPages(limit: Int, offset: Int) {
        #expect(throws: StorageError.self) { try PageRequest(limit: limit, offset: offset) }
    }

    @Test func pageEdges() throws {
        #expect(try PageRequest(limit: 100).limit == 100)
        #expect(try PageRequest(limit: 1, offset: 0).offset == 0)
        #expect(try PageRequest().limit == 25)
    }

    @Test(arguments: ["192.0.2.1", "2001:db8::1", "192.0.2.0/24", "2001:db8::/32", "0.0.0.0/0"])
    func goodAddresses(text: String) throws {
        #expect(try ActivityFilter(ipAddress: text).ipAddress == text)
    }

    @Test(arguments: ["192.0.2", "192.0.2.1/33", "2001:db8::/129", "host.example", "192.0.2.1/x", "'; DROP TABLE activity; --"])
    func badAddresses(text: String) {
        #expect(throws: StorageError.self) { try ActivityFilter(ipAddress: text) }
    }

    @Test func startMustPrecedeEnd() {
        #expect(throws: StorageError.self) { try ActivityFilter(from: referenceNow, to: referenceNow) }
        #expect(throws: StorageError.self) { try ActivityFilter(userID: "") }
        #expect(throws: StorageError.self) { try ActivityFilter(activityTypes: ["login", ""]) }
    }

    @Test(arguments: ["type", "activity_type", "user", "day", "hour"])
    func groupings(text: String) throws {
        _ = try SummaryGrouping(parsing: text)
    }

    @Test func unknownGrouping() {
        #expect { try SummaryGrouping(parsing: "week") } throws: { "\($0)".contains("type, user, day, hour") }
    }
}

@Suite struct FormatTests {
    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
        ("cr\r", "\"cr\r\""), (" padded", "\" padded\""), ("", ""), ("ünïcødé", "ünïcødé"),
        // Formula injection: defused with a leading quote, numbers left alone.
        ("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\""), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\r=1", "\"'\r=1\""), ("-1", "-1"), ("+12.5", "+12.5"), ("-inf", "'-inf"), ("a=b", "a=b"),
    ])
    func csvField(value: String, expected: String) {
        #expect(CSVText.field(value) == expected)
    }

    @Test func csvLine() {
        #expect(CSVText.line(["a", "b,c", ""]) == "a,\"b,c\",\r\n")
    }

    @Test(arguments: [
        ("plain", "\"plain\""), ("q\"b\\", #""q\"b\\""#), ("nl\n\t", #""nl\n\t""#), ("\u{01}", #""\u0001""#), ("é", "\"é\""),
        ("line\u{2028}sep", #""line\u2028sep""#), ("a → b", "\"a → b\""),
    ])
    func jsonString(value: String, expected: String) {
        #expect(JSONText.string(value) == expected)
    }

    @Test func jsonObjectIsValidJSON() throws {
        var object = JSONText.Object()
        object.add("a", string: "x\u{0}y")
        object.add("b", raw: #"{"n": [1, 2]}"#)
        object.add("c", string: nil)
        let parsed = try JSONSerialization.jsonObject(with: Data(object.text.utf8)) as? [String: Any]
        #expect(parsed?["a"] as? String == "x\u{0}y")
        #expect(parsed?["c"] is NSNull)
    }

    @Test func percentagesAlwaysSumTo100() {
        for counts in [[1, 1, 1], [2, 1], [1, 1, 1, 1, 1, 1, 1], [5], [0, 3, 0], [333, 333, 334], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]] {
            let shares = ActivitySummary.percentages(counts)
            #expect(Int((shares.reduce(0, +) * 100).rounded()) == 10_000, "\(counts) -> \(shares)")
        }
        #expect(ActivitySummary.percentages([1, 1, 1]) == [33.34, 33.33, 33.33])
        #expect(ActivitySummary.percentages([0, 0]) == [0, 0])
    }
}
