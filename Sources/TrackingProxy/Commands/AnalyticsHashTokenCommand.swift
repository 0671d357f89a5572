import Analytics
import ArgumentParser
import Foundation

/// `trackingproxy analytics hash-token`: reads a token from standard input and prints the
/// `sha256:<hex>` text to configure instead of it (`analytics.tokens[].token` or the tokens file),
/// so that the configuration never holds the token itself.
struct AnalyticsHashTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-token",
        abstract: "Read a token from standard input and print its sha256:<hex> digest to configure instead of it.",
        discussion: "Example: openssl rand -hex 24 | tee token.txt | trackingproxy analytics hash-token"
    )

    /// The longest input read: a token is a few dozen characters.
    static let maxInputBytes = 4_096

    func run() throws {
        let data = FileHandle.standardInput.readData(ofLength: Self.maxInputBytes + 1)
        StandardOutput.write(try Self.digestText(of: data) + "\n")
    }

    /// The `sha256:<hex>` line for the token in `input` (trailing line breaks removed), or a
    /// sentence saying why it is not a usable token.
    static func digestText(of input: Data) throws(ValidationError) -> String {
        guard input.count <= maxInputBytes else { throw ValidationError("The input is longer than \(maxInputBytes) bytes; give one token.") }
        guard var token = String(data: input, encoding: .utf8) else { throw ValidationError("The input is not UTF-8 text; give one token.") }
        while let last = token.last, last.isNewline { token.removeLast() }
        if token.hasPrefix(TokenDigest.prefix) { throw ValidationError("The input is already a sha256: digest; give the token itself.") }
        if token.contains(where: \.isNewline) { throw ValidationError("The input holds more than one line; give one token.") }
        guard token.count >= AnalyticsConfiguration.minimumTokenLength else {
            throw ValidationError("A token has at least \(AnalyticsConfiguration.minimumTokenLength) characters (read \(token.count)); generate one with `openssl rand -hex 24`.")
        }
        return TokenDigest.configurationText(of: token)
    }
}
