/// Reads the `for=` values of RFC 7239 `Forwarded` headers, left to right across all lines.
///
/// Handles quoted strings with escapes, bracketed IPv6 with ports, `unknown` and `_obfuscated`
/// identifiers (returned as written, so the walk treats them as unparsable), and case-insensitive
/// parameter names. An element without `for=` contributes nothing.
enum ForwardedHeader {
    static func forValues(_ lines: [String]) -> [String] {
        var result: [String] = []
        for line in lines {
            for element in split(line, on: ",") {
                for pair in split(element, on: ";") {
                    let trimmed = pair.trimmingSpaces
                    guard let equals = trimmed.firstIndex(of: "=") else { continue }
                    guard trimmed[..<equals].trimmingSpaces.lowercased() == "for" else { continue }
                    result.append(unquote(trimmed[trimmed.index(after: equals)...].trimmingSpaces))
                }
            }
        }
        return result
    }

    /// Splits on `separator` outside double quotes.
    static func split(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\", quoted {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == separator, !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
