import Yams

/// A YAML syntax error as one line an operator can act on — where and what — without the text of
/// the offending line. Yams' own description appends that line, and in a configuration or tokens
/// file the line is often `token: "<the secret>"` or a database URL with its password; the message
/// reaches stderr, service logs and `doctor --format json`.
public struct YAMLErrorText: CustomStringConvertible, Sendable {
    public let description: String

    public init(_ error: any Error) {
        guard let yaml = error as? YamlError else {
            description = "the YAML could not be read"
            return
        }
        if let syntax = YAMLSyntaxProblem(yaml) {
            let context = syntax.context.map { "\($0.text) (line \($0.mark.line), column \($0.mark.column)): " } ?? ""
            description = "line \(syntax.mark.line), column \(syntax.mark.column): \(syntax.stage): \(context)\(syntax.problem)"
            return
        }
        switch yaml {
        case .reader(let text, let offset, _, _): description = "reader: \(text)" + (offset.map { " at byte \($0)" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, let context):
            description = "line \(context.mark.line), column \(context.mark.column): a mapping has the key \(duplicates.sorted().joined(separator: ", ")) more than once"
        default: description = "\(yaml)"
        }
    }
}

/// A YAML syntax error of Yams' scanner, parser or composer: where, what, and what the parser was
/// doing, without the document's text. Read by `YAMLErrorText` and by the rules file's errors.
public struct YAMLSyntaxProblem: Sendable {
    /// `scanner`, `parser` or `composer`.
    public let stage: String
    /// What is wrong, in libyaml's words.
    public let problem: String
    /// What the parser was doing ("while parsing a flow mapping") and where that began.
    public let context: YamlError.Context?
    /// Where the error is.
    public let mark: Mark

    /// Nil for the errors that are not syntax errors with a position.
    public init?(_ error: YamlError) {
        switch error {
        case .scanner(let context, let problem, let mark, _): (stage, self.problem, self.context, self.mark) = ("scanner", problem, context, mark)
        case .parser(let context, let problem, let mark, _): (stage, self.problem, self.context, self.mark) = ("parser", problem, context, mark)
        case .composer(let context, let problem, let mark, _): (stage, self.problem, self.context, self.mark) = ("composer", problem, context, mark)
        default: return nil
        }
    }
}
