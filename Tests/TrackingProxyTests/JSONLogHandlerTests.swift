import ConfigValues
import Foundation
import Logging
import Synchronization
import Testing

@testable import TrackingProxy

/// `log.format: json`: every event is one line that parses as a JSON object and gives back exactly
/// what was logged, whatever the message and metadata hold.
@Suite struct JSONLogHandlerTests {
    /// The lines a handler wrote, in order.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func logger(_ lines: Lines, label: String = "trackingproxy", metadata: Logger.Metadata = [:]) -> Logger {
        var logger = Logger(label: label) { label in JSONLogHandler(label: label, sink: lines.append) }
        logger.logLevel = .trace
        for (key, value) in metadata { logger[metadataKey: key] = value }
        return logger
    }

    /// Parses `line` (which must end in exactly one newline and hold no other) as a JSON object.
    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().unicodeScalars.allSatisfy { $0 != "\n" && $0 != "\r" && $0.value >= 0x20 }, "raw control character in \(line.debugDescription)")
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any])
    }

    static let hostile: [String] = [
        "plain",
        #"quote " and backslash \ and \" both"#,
        "newline\nsecond line\r\ncarriage",
        "forged\n{\"time\":\"x\",\"level\":\"critical\",\"message\":\"forged\"}",
        "controls \u{0}\u{1}\u{7}\u{8}\u{B}\u{C}\u{1B}[31m\u{1F}\u{7F} end",
        "separators \u{2028} \u{2029} and \u{85}",
        "tab\there",
        "emoji 🧪 and ünïcödé and 漢字",
        // Invalid UTF-8 cannot be in a Swift String: decoding replaces it with U+FFFD, which must
        // come out as valid JSON all the same.
        String(decoding: [0x66, 0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0x6F], as: UTF8.self),
        "",
        String(repeating: "long ", count: 2_000),
    ]

    @Test(arguments: hostile)
    func everyLineParsesBackToWhatWasLogged(_ text: String) throws {
        let lines = Lines()
        let logger = Self.logger(lines, label: "label \(text)")
        logger.warning("\(text)", metadata: ["value": "\(text)", "key \(text)": "k", "nested": ["list": ["\(text)", .stringConvertible(42)], "inner": ["x": "\(text)"]]])
        #expect(lines.all.count == 1)
        let object = try Self.object(try #require(lines.all.first))
        #expect(object["message"] as? String == text)
        #expect(object["label"] as? String == "label \(text)")
        #expect(object["level"] as? String == "warning")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["value"] as? String == text)
        #expect(metadata["key \(text)"] as? String == "k")
        let nested = try #require(metadata["nested"] as? [String: Any])
        #expect((nested["list"] as? [Any])?.first as? String == text)
        #expect((nested["list"] as? [Any])?.last as? String == "42")
        #expect((nested["inner"] as? [String: Any])?["x"] as? String == text)
    }

    @Test func membersAreTimeLevelLabelMessageMetadataSourceInThatOrder() throws {
        let lines = Lines()
        Self.logger(lines).info("started")
        let line = try #require(lines.all.first)
        let object = try Self.object(line)
        #expect(Set(object.keys) == ["time", "level", "label", "message", "metadata", "source"])
        #expect((object["metadata"] as? [String: Any])?.isEmpty == true)
        let positions = ["time", "level", "label", "message", "metadata", "source"].compactMap { line.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.count == 6 && positions == positions.sorted())
        let time = try #require(object["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(time)")
        let parsed = try Date(time, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        #expect(abs(parsed.timeIntervalSinceNow) < 60)
    }

    /// Metadata merges as swift-log's StreamLogHandler does: handler, provider, event (later wins),
    /// then the event's error.
    @Test func metadataMergesHandlerProviderEventAndError() throws {
        struct Failure: Error, CustomStringConvertible { var description: String { "disk \"full\"\n" } }
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["from.provider": "p", "shared": "provider"] }
        var logger = Logger(label: "t") { label in JSONLogHandler(label: label, metadataProvider: provider, sink: lines.append) }
        logger[metadataKey: "from.handler"] = "h"
        logger[metadataKey: "shared"] = "handler"
        logger.error("failed", error: Failure(), metadata: ["shared": "event"])
        let line = try #require(lines.all.first)
        let metadata = try #require(try Self.object(line)["metadata"] as? [String: Any])
        #expect(metadata["from.handler"] as? String == "h")
        #expect(metadata["from.provider"] as? String == "p")
        #expect(metadata["shared"] as? String == "event")
        #expect(metadata["error.message"] as? String == "disk \"full\"\n")
        #expect((metadata["error.type"] as? String)?.hasSuffix("Failure") == true)
    }

    /// Many threads at once: every line whole, none lost.
    @Test func concurrentLoggingKeepsLinesWhole() async throws {
        let lines = Lines()
        let logger = Self.logger(lines)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 { logger.info("task \(task) line \(index)\nwith a newline", metadata: ["index": "\(index)"]) }
                }
            }
        }
        #expect(lines.all.count == 1_600)
        for line in lines.all { _ = try Self.object(line) }
    }

    @Test(arguments: [
        (LogConfiguration.Format.text, false, false), (.text, true, false),
        (.json, false, true), (.json, true, true),
        (.auto, false, true), (.auto, true, false),
    ])
    func formatChoosesJSON(_ format: LogConfiguration.Format, stderrIsTerminal: Bool, json: Bool) {
        #expect(ProcessObservability.writesJSON(format, stderrIsTerminal: stderrIsTerminal) == json)
    }
}
