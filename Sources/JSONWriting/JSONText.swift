/// JSON text built by hand, so that stored JSON (`metadata`) is embedded exactly as PostgreSQL
/// renders it and large exports skip an encoder per row.
public enum JSONText {
    /// A JSON string literal with the escapes RFC 8259 requires.
    public static func string(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count + 2)  // the common unescaped case in one allocation
        appendString(value, to: &result)
        return result
    }

    /// Appends `value` as a JSON string literal to `text`.
    public static func appendString(_ value: String, to text: inout String) {
        // Most values (ids, types, formats) need no escape: one byte scan, one append. U+2028 and
        // U+2029 start with 0xE2 in UTF-8, so such text takes the careful path below.
        if !needsEscape(value) {
            text += "\""
            text += value
            text += "\""
            return
        }
        text.reserveCapacity(text.utf8.count + value.utf8.count + 2)
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{2028}": text += "\\u2028"
            case "\u{2029}": text += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    /// Whether `value` holds a byte that needs the careful path: a control character, `"`, `\\`,
    /// or 0xE2 (the first byte of U+2028 and U+2029). A loop over the contiguous UTF-8: the
    /// closure-taking `utf8.contains(where:)` was 4% of `tracking-bench`'s samples.
    public static func needsEscape(_ value: String) -> Bool {
        func escaped(_ byte: UInt8) -> Bool { byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0xE2 }
        if let found = value.utf8.withContiguousStorageIfAvailable({ bytes -> Bool in
            for byte in bytes where escaped(byte) { return true }
            return false
        }) {
            return found
        }
        return value.utf8.contains(where: escaped)
    }

    /// A finite number in JSON form (`null` for NaN or infinity, which JSON cannot hold).
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A JSON object built key by key, in insertion order, into one growing string (the request
    /// path builds one per tracked request: a string per member and a join cost ~7 allocations).
    public struct Object {
        private var members = "{"
        private var isEmpty = true

        public init() {
            members.reserveCapacity(96)
        }

        /// Adds a string member, `null` when `value` is `nil`.
        public mutating func add(_ key: String, string value: String?) {
            appendKey(key)
            if let value { JSONText.appendString(value, to: &members) } else { members += "null" }
        }

        /// Adds a member whose value is already JSON text, `null` when `value` is `nil`.
        public mutating func add(_ key: String, raw value: String?) {
            appendKey(key)
            members += value ?? "null"
        }

        private mutating func appendKey(_ key: String) {
            if !isEmpty { members += "," }
            isEmpty = false
            JSONText.appendString(key, to: &members)
            members += ":"
        }

        /// `{"key":value,...}`.
        public var text: String { members + "}" }
    }

    /// `[a,b,...]` from values that are already JSON text.
    public static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
