import JSONWriting

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
