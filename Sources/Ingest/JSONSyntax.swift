/// A strict syntax check of JSON text (RFC 8259), without building any value: the request path
/// validates every record's metadata, so this has to be cheap.
///
/// It also reports what PostgreSQL's `jsonb` refuses although the text is valid JSON: the
/// escape `\u0000`, and a `\uD800`...`\uDFFF` escape that is not a well-formed surrogate pair.
struct JSONSyntax {
    /// What the check found.
    struct Report: Equatable {
        /// Valid JSON whose top-level value is an object.
        var isObject = false
        /// Contains `\u0000`, or an unpaired surrogate escape: valid JSON that `jsonb` refuses.
        var hasEscapesJSONBRefuses = false
    }

    static let maximumDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var report = Report()

    /// Checks `text`; `isObject` is false when it is not valid JSON or not an object.
    static func check(_ text: String) -> Report {
        var text = text
        return text.withUTF8 { bytes in
            var parser = JSONSyntax(bytes: bytes)
            parser.skipSpace()
            guard parser.peek == UInt8(ascii: "{"), parser.value(depth: 0) else { return Report() }
            parser.skipSpace()
            guard parser.index == bytes.count else { return Report() }
            parser.report.isObject = true
            return parser.report
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    private mutating func value(depth: Int) -> Bool {
        guard depth < Self.maximumDepth, let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func object(depth: Int) -> Bool {
        index += 1
        skipSpace()
        if expect(UInt8(ascii: "}")) { return true }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\""), string() else { return false }
            skipSpace()
            guard expect(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard value(depth: depth + 1) else { return false }
            skipSpace()
            if expect(UInt8(ascii: "}")) { return true }
            guard expect(UInt8(ascii: ",")) else { return false }
        }
    }

    private mutating func array(depth: Int) -> Bool {
        index += 1
        skipSpace()
        if expect(UInt8(ascii: "]")) { return true }
        while true {
            skipSpace()
            guard value(depth: depth + 1) else { return false }
            skipSpace()
            if expect(UInt8(ascii: "]")) { return true }
            guard expect(UInt8(ascii: ",")) else { return false }
        }
    }

    private mutating func string() -> Bool {
        index += 1
        var pendingHighSurrogate = false
        while let byte = peek {
            index += 1
            if byte == UInt8(ascii: "\"") {
                if pendingHighSurrogate { report.hasEscapesJSONBRefuses = true }
                return true
            }
            if byte < 0x20 { return false }
            guard byte == UInt8(ascii: "\\") else {
                if pendingHighSurrogate { report.hasEscapesJSONBRefuses = true }
                pendingHighSurrogate = false
                continue
            }
            guard let escaped = peek else { return false }
            index += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                if pendingHighSurrogate { report.hasEscapesJSONBRefuses = true }
                pendingHighSurrogate = false
            case UInt8(ascii: "u"):
                guard let scalar = hex4() else { return false }
                if scalar == 0 { report.hasEscapesJSONBRefuses = true }
                if (0xDC00...0xDFFF).contains(scalar) {
                    if !pendingHighSurrogate { report.hasEscapesJSONBRefuses = true }
                    pendingHighSurrogate = false
                } else {
                    if pendingHighSurrogate { report.hasEscapesJSONBRefuses = true }
                    pendingHighSurrogate = (0xD800...0xDBFF).contains(scalar)
                }
            default:
                return false
            }
        }
        return false
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func number() -> Bool {
        let start = index
        _ = expect(UInt8(ascii: "-"))
        guard let first = peek, isDigit(first) else { return false }
        index += 1
        if first != UInt8(ascii: "0") { digits() }
        if expect(UInt8(ascii: ".")) {
            guard let byte = peek, isDigit(byte) else { return false }
            digits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek, isDigit(byte) else { return false }
            digits()
        }
        return index > start
    }

    private mutating func digits() {
        while let byte = peek, isDigit(byte) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
