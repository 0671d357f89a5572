/// The one error type of `ActivityRules`: a problem in a rules file, a rule-test file or the
/// tracking configuration, with where it is and a sentence saying what to do.
///
/// Rendered as `file:line:col: error[code]: sentence`, followed by the offending line and a caret
/// when the source text is known (see `rendered`).
public struct RulesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the problem is in, as given to the loader (`"<config>"` for configuration values).
    public var file: String
    /// 1-based line, or 0 when unknown.
    public var line: Int
    /// 1-based column, or 0 when unknown.
    public var column: Int
    /// A short, stable, kebab-case code fit for a metric label, e.g. `unknown-key`, `rank-conflict`.
    public var code: String
    /// The rule the problem belongs to, when known.
    public var ruleID: String?
    /// One or two sentences: what is wrong and what to do about it.
    public var message: String
    /// The offending source line and a caret under the column, when the source text was available.
    public var snippet: String?

    /// Creates an error at a known location.
    public init(file: String, line: Int = 0, column: Int = 0, code: String, ruleID: String? = nil, message: String, snippet: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.code = code
        self.ruleID = ruleID
        self.message = message
        self.snippet = snippet
    }

    /// A short description bounded in size, fit for a metric label or a one-line log: the code only.
    public var shortDescription: String { code }

    /// `file:line:col: error[code]: sentence` on one line, without the snippet.
    public var description: String {
        let rule = ruleID.map { " (rule \($0))" } ?? ""
        return "\(file):\(line):\(column): error[\(code)]: \(message)\(rule)"
    }

    /// The one-line description followed by the snippet and caret, when known.
    public var rendered: String {
        guard let snippet else { return description }
        return description + "\n" + snippet
    }
}

/// A position in a YAML source text, kept with parsed values so that later checks can still point
/// at the line and column the reviewer wrote.
public struct SourceLocation: Sendable, Hashable {
    /// 1-based line; 0 when unknown.
    public var line: Int
    /// 1-based column; 0 when unknown.
    public var column: Int

    /// Creates a location.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    static let unknown = SourceLocation(line: 0, column: 0)
}

/// The text of a source file and its name, able to cut a snippet with a caret for a location.
struct SourceText: Sendable {
    var file: String
    var text: String

    /// The line at `location` and a caret under its column, indented by two spaces.
    func snippet(at location: SourceLocation) -> String? {
        guard location.line > 0, let line = line(location.line) else { return nil }
        let pad = String(repeating: " ", count: max(0, location.column - 1))
        return "  \(line)\n  \(pad)^"
    }

    /// Line `number` (1-based), counted as the YAML parser's locations count lines: a line ends at
    /// LF, CRLF, a lone CR, NEL, LS or PS. (Splitting on `"\n"` alone missed CRLF, which Swift
    /// holds as one `Character`, and the others, so such files got no snippet or the wrong line.)
    func line(_ number: Int) -> Substring? {
        var current = 1
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if Self.isLineBreak(character) {
                if current == number { return text[start..<index] }
                current += 1
                start = next
            }
            index = next
        }
        return current == number ? text[start...] : nil
    }

    /// How many lines the text has, counted as `line(_:)` counts them.
    var lineCount: Int {
        1 + text.reduce(0) { $0 + (Self.isLineBreak($1) ? 1 : 0) }
    }

    /// libyaml's line breaks (YAML 1.1): LF, CR, CRLF, NEL, LS, PS.
    static func isLineBreak(_ character: Character) -> Bool {
        switch character {
        case "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}": true
        default: false
        }
    }

    func error(_ code: String, at location: SourceLocation, rule: String? = nil, _ message: String) -> RulesError {
        RulesError(
            file: file, line: location.line, column: location.column, code: code, ruleID: rule,
            message: message, snippet: snippet(at: location)
        )
    }
}
