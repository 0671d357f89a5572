extension WeeklyReport {
    /// The report as Markdown (GitHub tables). Cells are escaped so that a user id or activity
    /// type holding `|` or a newline cannot break a table.
    public var markdown: String {
        var text = "# \(title)\n\n"
        for section in sections {
            text += "## \(section.title)\n\n\(Self.markdownCell(section.sentence))\n\n"
            guard !section.rows.isEmpty else { continue }
            text += "| " + section.header.map(Self.markdownCell).joined(separator: " | ") + " |\n"
            text += "|" + section.header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined() + "\n"
            for row in section.rows { text += "| " + row.map(Self.markdownCell).joined(separator: " | ") + " |\n" }
            text += "\n"
        }
        return text + "_Generated \(generatedAt.formatted(.iso8601)); weeks are ISO weeks, Monday 00:00 to Monday 00:00 UTC._\n"
    }

    /// Text safe in a Markdown table cell or paragraph: `|`, `\`, `<`, `>`, `*`, `_`, backquote,
    /// `[` and `]` escaped, line breaks as spaces.
    static func markdownCell(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "|", "\\", "*", "_", "`", "[", "]", "<", ">": result += "\\" + String(character)
            case "\n", "\r", "\r\n": result += " "
            default: result.append(character)
            }
        }
        return result
    }
}
