import ArgumentParser
import Foundation
import Testing
@testable import TrackingProxy

/// `analytics hash-token`'s reading of a token (doctor's flags are in `CommandTests`).
@Suite struct HashTokenCommandTests {
    /// The digest of a known token, checked against SHA-256 computed elsewhere (Python's hashlib).
    @Test(arguments: ["0123456789abcdef", "0123456789abcdef\n", "0123456789abcdef\r\n"])
    func hashTokenPrintsTheSHA256Digest(input: String) throws {
        #expect(try AnalyticsHashTokenCommand.digestText(of: Data(input.utf8))
            == "sha256:9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f")
    }

    @Test(arguments: [
        ("short\n", "at least 16 characters"),
        ("", "at least 16 characters"),
        ("sha256:9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f", "already a sha256"),
        ("0123456789abcdef\nsecond-token-0123456\n", "more than one line"),
        (String(repeating: "x", count: 5_000), "longer than 4096 bytes"),
    ])
    func hashTokenRefusesWhatIsNotOneToken(input: String, hint: String) {
        do {
            _ = try AnalyticsHashTokenCommand.digestText(of: Data(input.utf8))
            Issue.record("\(input.prefix(40)) was accepted")
        } catch {
            #expect(error.message.contains(hint), "\(error.message)")
        }
    }
}
