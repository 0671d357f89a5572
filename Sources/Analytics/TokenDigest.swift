import Crypto
import Foundation

/// The SHA-256 digest of an analytics token: the only form a token is kept in memory.
///
/// A configured token is either the plain text clients send (hashed when the configuration is
/// read) or `sha256:<64 hex digits>`, its digest (what `trackingproxy analytics hash-token`
/// prints), so that operators need not store plain tokens at all. A presented token is hashed and
/// compared with swift-crypto's constant-time `Digest == bytes`; no comparison is written here.
///
/// Invariant: `bytes` holds exactly `SHA256.byteCount` (32) bytes.
public struct TokenDigest: Sendable, Hashable {
    /// The prefix of a configured digest.
    public static let prefix = "sha256:"

    /// The digest's 32 bytes.
    let bytes: [UInt8]

    /// The digest of a plain token.
    public init(token: String) {
        self.init(bytes: Array(SHA256.hash(data: Array(token.utf8))))
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A configured token: `sha256:<64 hex digits>` read as a digest, any other text hashed.
    /// Throws when the text starts with `sha256:` but the rest is not 64 hexadecimal digits.
    public init(configured text: String) throws(TokenDigestError) {
        guard text.hasPrefix(Self.prefix) else {
            self.init(token: text)
            return
        }
        let hex = Array(text.dropFirst(Self.prefix.count).utf8)
        guard hex.count == 2 * SHA256.byteCount else { throw TokenDigestError(hexDigits: hex.count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256.byteCount)
        var index = 0
        while index + 1 < hex.count {
            guard let high = Self.nibble(hex[index]), let low = Self.nibble(hex[index + 1]) else {
                throw TokenDigestError(hexDigits: hex.count)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// Whether `token` hashes to this digest, compared in constant time by swift-crypto.
    public func matches(_ presented: SHA256.Digest) -> Bool {
        presented == bytes
    }

    /// `sha256:<64 lowercase hex digits>`: the text that configures this digest.
    public var text: String {
        let digits = Array("0123456789abcdef")
        return Self.prefix + bytes.map { "\(digits[Int($0 >> 4)])\(digits[Int($0 & 0x0F)])" }.joined()
    }

    /// `sha256:<64 lowercase hex digits>`, the text to configure instead of `token`.
    public static func configurationText(of token: String) -> String {
        TokenDigest(token: token).text
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A configured `sha256:` token that is not 64 hexadecimal digits.
public struct TokenDigestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// How many characters followed `sha256:`.
    public var hexDigits: Int

    public var description: String {
        "a hashed token is `sha256:` followed by 64 hexadecimal digits (found \(hexDigits) characters, or a character that is not 0-9 or a-f); print one with `trackingproxy analytics hash-token`"
    }
}
