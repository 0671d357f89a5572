/// Writes the `metadata` JSON object of an activity: string values from the rule, plus the
/// proxy's integer and boolean figures. Keys are sorted (byte order), so equal metadata is equal text.
///
/// Hand-written because it runs on the event loop for every tracked request, and Foundation's
/// `JSONSerialization` with sorted keys cost 17% of the event loops' time in a profile of tracked
/// POSTs (ICU string comparison and bridging). Output is RFC 8259 JSON; strings are escaped as
/// `JSONEncoder` does (`"`, `\`, and control characters; non-ASCII stays UTF-8).
struct MetadataJSON {
    enum Value {
        case string(String)
        case integer(Int)
        case boolean(Bool)
    }

    static func object(_ fields: [(key: String, value: Value)]) -> String {
        var output = "{"
        for (index, field) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { output += ", " }
            appendString(field.key, to: &output)
            output += ": "
            switch field.value {
            case .string(let text): appendString(text, to: &output)
            case .integer(let number): output += String(number)
            case .boolean(let flag): output += flag ? "true" : "false"
            }
        }
        output += "}"
        return output
    }

    static func appendString(_ text: String, to output: inout String) {
        output += "\""
        // Most values (ids, formats, sizes) need no escaping: one byte scan, one append.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output += text
            output += "\""
            return
        }
        var plainStart = text.unicodeScalars.startIndex
        var index = plainStart
        let scalars = text.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            if let escape {
                output.unicodeScalars.append(contentsOf: scalars[plainStart..<index])
                output += escape
                plainStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        output.unicodeScalars.append(contentsOf: scalars[plainStart..<scalars.endIndex])
        output += "\""
    }
}
