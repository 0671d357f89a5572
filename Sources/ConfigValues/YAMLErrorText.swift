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
        func problem(_ kind: String, _ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> String {
            let context = context.map { "\($0.text) (line \($0.mark.line), column \($0.mark.column)): " } ?? ""
            return "line \(mark.line), column \(mark.column): \(kind): \(context)\(problem)"
        }
        switch yaml {
        case .scanner(let context, let text, let mark, _): description = problem("scanner", context, text, mark)
        case .parser(let context, let text, let mark, _): description = problem("parser", context, text, mark)
        case .composer(let context, let text, let mark, _): description = problem("composer", context, text, mark)
        case .reader(let text, let offset, _, _): description = "reader: \(text)" + (offset.map { " at byte \($0)" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, let context):
            description = "line \(context.mark.line), column \(context.mark.column): a mapping has the key \(duplicates.sorted().joined(separator: ", ")) more than once"
        default: description = "\(yaml)"
        }
    }
}
