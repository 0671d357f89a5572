import Foundation

/// A plain-text table that fits the terminal: columns are as wide as their widest cell, and when
/// the whole is wider than the terminal, the flexible columns give up width (cells cut with "…").
struct TextTable {
    struct Column {
        var title: String
        /// Right-aligned (numbers).
        var alignRight = false
        /// May be narrowed to fit the terminal, down to `minimumWidth`.
        var flexible = false
        var minimumWidth = 8
    }

    var columns: [Column]
    var rows: [[String]] = []

    /// The terminal's width: `COLUMNS`, else the window size of standard output, else 120.
    static var terminalWidth: Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let width = Int(text), width > 20 { return width }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 120
    }

    func render(width: Int = TextTable.terminalWidth) -> String {
        let separator = "  "
        let cells = rows.map { $0.map(Self.singleLine) }
        var widths = columns.indices.map { index in
            max(columns[index].title.count, cells.map { $0[index].count }.max() ?? 0)
        }
        var excess = widths.reduce(0, +) + separator.count * (columns.count - 1) - width
        // Narrow the widest flexible column one character at a time until the table fits.
        while excess > 0 {
            let candidates = columns.indices.filter { columns[$0].flexible && widths[$0] > columns[$0].minimumWidth }
            guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
            widths[widest] -= 1
            excess -= 1
        }
        func line(_ values: [String]) -> String {
            values.indices.map { index in
                let value = Self.cut(values[index], to: widths[index])
                let padding = String(repeating: " ", count: widths[index] - value.count)
                return columns[index].alignRight ? padding + value : value + padding
            }.joined(separator: separator).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var output = line(columns.map(\.title)) + "\n"
        output += line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in cells { output += line(row) + "\n" }
        return output
    }

    /// Control characters (newlines in a description) would break the layout: shown as spaces.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    static func cut(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
