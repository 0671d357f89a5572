extension ActivityRow {
    /// The CSV header line (RFC 4180, CRLF-terminated): the contract's column names.
    public static var csvHeader: String { CSVText.line(columnNames) }

    /// The row as one CSV line (RFC 4180, CRLF-terminated). NULL becomes an empty field.
    public var csvLine: String { CSVText.line(columns.map { $0 ?? "" }) }

    /// The row as one JSON object on one line (no trailing newline), keys as the column names,
    /// `metadata` embedded as JSON, numbers and booleans as JSON numbers and booleans.
    public var jsonObject: String {
        var object = JSONText.Object()
        object.add("id", string: id)
        object.add("occurred_at", string: occurredAt)
        object.add("user_id", string: userID)
        object.add("activity_type", string: activityType)
        object.add("description", string: description)
        object.add("method", string: method)
        object.add("path", string: path)
        object.add("status", raw: status.map(String.init))
        object.add("ip_address", string: ipAddress)
        object.add("user_agent", string: userAgent)
        object.add("metadata", raw: metadataJSON)
        object.add("request_id", string: requestID)
        object.add("duration_ms", raw: durationMs.map(JSONText.number))
        object.add("peer_address", string: peerAddress)
        object.add("forwarded_chain", string: forwardedChain)
        object.add("ip_verified", raw: ipVerified ? "true" : "false")
        object.add("rule_id", string: ruleID)
        return object.text
    }
}

/// CSV fields and lines as RFC 4180 writes them, safe to open in a spreadsheet.
public enum CSVText {
    /// A field, quoted when it holds a comma, a quote, CR, LF or leading/trailing spaces; quotes
    /// doubled. A value a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
    /// tab or CR; OWASP "CSV injection") gets a leading `'` unless it is a plain number: user
    /// agents, paths and user ids come from clients.
    public static func field(_ value: String) -> String {
        let value = defusingFormula(value)
        let needsQuotes = value.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || value.first == " " || value.last == " "
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func defusingFormula(_ value: String) -> String {
        guard let first = value.utf8.first,
              first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@")
                || first == UInt8(ascii: "\t") || first == UInt8(ascii: "\r")
        else { return value }
        let numeric = value.utf8.allSatisfy {
            switch $0 {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
            default: false
            }
        }
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+"), numeric, Double(value) != nil { return value }
        return "'" + value
    }

    /// Fields joined by commas, ended by CRLF.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }
}

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
    static func appendString(_ value: String, to text: inout String) {
        // Most values (ids, types, formats) need no escape: one byte scan, one append. U+2028 and
        // U+2029 start with 0xE2 in UTF-8, so such text takes the careful path below.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0xE2 }) {
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
