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
        guard location.line > 0 else { return nil }
        var current = 1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == location.line {
                let text = line.hasSuffix("\r") ? line.dropLast() : line
                let pad = String(repeating: " ", count: max(0, location.column - 1))
                return "  \(text)\n  \(pad)^"
            }
            current += 1
        }
        return nil
    }

    func error(_ code: String, at location: SourceLocation, rule: String? = nil, _ message: String) -> RulesError {
        RulesError(
            file: file, line: location.line, column: location.column, code: code, ruleID: rule,
            message: message, snippet: snippet(at: location)
        )
    }
}
