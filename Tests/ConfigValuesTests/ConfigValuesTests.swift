import ConfigValues
import Foundation
import Testing

@Suite struct ConfigDurationTests {
    @Test(arguments: [
        ("250ms", 250_000_000), ("5s", 5_000_000_000), ("1.5s", 1_500_000_000), ("2m", 120_000_000_000),
        ("1h", 3_600_000_000_000), ("7d", 604_800_000_000_000), ("30", 30_000_000_000), (" 10 us ", 10_000), ("0", 0),
    ] as [(String, Int64)])
    func parses(_ text: String, _ nanoseconds: Int64) throws {
        #expect(try ConfigDuration(parsing: text).nanoseconds == nanoseconds)
    }

    @Test(arguments: ["", "fast", "-5s", "5 parsecs", "1e400s", "s"])
    func rejectsWithASentenceSayingWhatIsAllowed(_ text: String) {
        #expect(throws: ConfigValueError.self) { try ConfigDuration(parsing: text) }
        do {
            _ = try ConfigDuration(parsing: text)
        } catch {
            #expect(error.description.contains("a duration such as"))
        }
    }

    /// Overflow is an error sentence, never a trap.
    @Test(arguments: ["99999999999999999h", "106752d", "9223372037s", "9223372036854775808ns", String(repeating: "9", count: 400) + "s", "99999999999999999999"])
    func rejectsDurationsTooLongForInt64(_ text: String) {
        do {
            let duration = try ConfigDuration(parsing: text)
            Issue.record("parsed \(text) as \(duration)")
        } catch {
            #expect(error.description == "\"\(text)\" is not a duration of at most 106751d (about 292 years, the most nanoseconds an Int64 holds)")
        }
    }

    @Test func theLongestDurationParses() throws {
        #expect(try ConfigDuration(parsing: "106751d").description == "106751d")
        #expect(try ConfigDuration(parsing: "9223372036854775000ns").nanoseconds == 9_223_372_036_854_774_784)
    }

    @Test(arguments: [("1500ms", "1500ms"), ("2m", "2m"), ("120s", "2m"), ("0.5s", "500ms"), ("0", "0s")])
    func printsTheShortestExactForm(_ text: String, _ printed: String) throws {
        #expect(try ConfigDuration(parsing: text).description == printed)
    }
}

@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("512", 512), ("32KiB", 32_768), ("16MiB", 16_777_216), ("1GiB", 1_073_741_824), ("1.5MB", 1_500_000),
        ("2 kb", 2_000), ("10b", 10),
    ] as [(String, Int)])
    func parses(_ text: String, _ bytes: Int) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test(arguments: ["", "lots", "-1", "5 XB"])
    func rejects(_ text: String) {
        #expect(throws: ConfigValueError.self) { try ByteSize(parsing: text) }
    }

    /// Overflow is an error sentence, never a trap.
    @Test(arguments: ["9999999999999GiB", "8589934592GiB", "99999999999999999999", "9223372036854775808b", String(repeating: "9", count: 400) + "KiB"])
    func rejectsSizesTooLargeForInt64(_ text: String) {
        do {
            let size = try ByteSize(parsing: text)
            Issue.record("parsed \(text) as \(size)")
        } catch {
            #expect(error.description == "\"\(text)\" is not a size of at most 8589934591GiB (the most bytes an Int64 holds)")
        }
    }

    @Test func theLargestSizeParses() throws {
        #expect(try ByteSize(parsing: "8589934591GiB").description == "8589934591GiB")
    }

    @Test(arguments: [(32_768, "32KiB"), (1_048_576, "1MiB"), (1_000, "1000")])
    func printsBinaryUnitsWhenExact(_ bytes: Int, _ printed: String) {
        #expect(ByteSize(bytes: bytes).description == printed)
    }
}

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:9090", "::1", 9090), ("localhost:0", "localhost", 0),
    ] as [(String, String, Int)])
    func parses(_ text: String, _ host: String, _ port: Int) throws {
        let value = try HostPort(parsing: text)
        #expect(value.host == host && value.port == port)
        #expect(value.description == text)
    }

    @Test(arguments: ["8080", "::1:80", "host:", "host:70000", ":80", "[::1:80", "host:+80", "host:-0", "host:99999999999999999999999", "host: 80"])
    func rejects(_ text: String) {
        #expect(throws: ConfigValueError.self) { try HostPort(parsing: text) }
    }
}

@Suite struct CodableTests {
    struct Sample: Codable, Equatable {
        var timeout: ConfigDuration
        var size: ByteSize
        var listen: HostPort
        var password: Secret
    }

    @Test func decodesTextAndNumbersAndEncodesBackWithTheSecretRedacted() throws {
        let json = #"{"timeout": "250ms", "size": 4096, "listen": "0.0.0.0:80", "password": "hunter2"}"#
        let sample = try JSONDecoder().decode(Sample.self, from: Data(json.utf8))
        #expect(sample.timeout == .milliseconds(250))
        #expect(sample.size == ByteSize(bytes: 4096))
        #expect(sample.listen == HostPort(host: "0.0.0.0", port: 80))
        #expect(sample.password.value == "hunter2")
        #expect("\(sample.password)" == "<redacted>")
        let encoded = String(decoding: try JSONEncoder().encode(sample), as: UTF8.self)
        #expect(encoded.contains(#""timeout":"250ms""#))
        #expect(encoded.contains(#""size":"4KiB""#))
        #expect(!encoded.contains("hunter2"))
    }

    @Test func aBadValueIsADecodingErrorAtItsKeyWithTheSentence() {
        let json = #"{"timeout": "soon", "size": 1, "listen": "a:1", "password": "x"}"#
        do {
            _ = try JSONDecoder().decode(Sample.self, from: Data(json.utf8))
            Issue.record("decoded a bad duration")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.codingPath.map(\.stringValue) == ["timeout"])
            #expect(context.debugDescription.contains("a duration such as"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
