import ConfigValues
import Yams

/// A YAML node read from a rules or test file, with its source for precise errors.
///
/// Every reader method throws a `RulesError` pointing at the node (or key) at fault.
struct YAMLField {
    var node: Node
    var source: SourceText
    /// Where this value sits, for messages: `rules[3].match.path`.
    var path: String

    var location: SourceLocation {
        node.mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? .unknown
    }

    func error(_ code: String, rule: String? = nil, _ message: String) -> RulesError {
        source.error(code, at: location, rule: rule, message)
    }

    /// Parses a whole document; an empty document is an error.
    static func document(_ source: SourceText) throws(RulesError) -> YAMLField {
        do {
            guard let node = try Yams.compose(yaml: source.text) else {
                throw source.error("empty-file", at: SourceLocation(line: 1, column: 1), "The file is empty; write at least `version: 1`.")
            }
            return YAMLField(node: node, source: source, path: "")
        } catch let error as RulesError {
            throw error
        } catch let error as YamlError {
            throw Self.convert(error, source)
        } catch {
            throw source.error("yaml-syntax", at: .unknown, "The file is not valid YAML: \(error).")
        }
    }

    static func convert(_ error: YamlError, _ source: SourceText) -> RulesError {
        if let syntax = YAMLSyntaxProblem(error) {
            let extra = syntax.context.map { " (\($0.text))" } ?? ""
            return source.error(
                "yaml-syntax", at: SourceLocation(line: syntax.mark.line, column: syntax.mark.column),
                "YAML syntax: \(syntax.problem)\(extra); fix the indentation or quoting here.")
        }
        switch error {
        case let .duplicatedKeysInMapping(duplicates, context):
            return source.error("duplicate-key", at: SourceLocation(line: context.mark.line, column: context.mark.column), "The key \(duplicates.joined(separator: ", ")) appears twice in one mapping; keep one.")
        default:
            return source.error("yaml-syntax", at: .unknown, "The file is not valid YAML: \(error).")
        }
    }

    /// The key-value pairs of a mapping, checking that every key is one of `allowed`.
    func mapping(allowed: Set<String>? = nil, rule: String? = nil) throws(RulesError) -> [(key: String, value: YAMLField)] {
        guard case let .mapping(mapping) = node else {
            throw error("expected-mapping", rule: rule, "\(label) must be a mapping of `key: value` lines.")
        }
        var result: [(key: String, value: YAMLField)] = []
        for (keyNode, valueNode) in mapping {
            let keyField = YAMLField(node: keyNode, source: source, path: path)
            guard let key = keyNode.scalar?.string else {
                throw keyField.error("expected-scalar", rule: rule, "Keys in \(label) must be plain words.")
            }
            if let allowed, !allowed.contains(key) {
                throw keyField.error(
                    "unknown-key", rule: rule,
                    "Unknown key `\(key)` in \(label); allowed keys are \(allowed.sorted().joined(separator: ", "))."
                )
            }
            result.append((key, YAMLField(node: valueNode, source: source, path: path.isEmpty ? key : "\(path).\(key)")))
        }
        return result
    }

    /// The key locations of a mapping, by key.
    func keyLocations() -> [String: SourceLocation] {
        guard case let .mapping(mapping) = node else { return [:] }
        var result: [String: SourceLocation] = [:]
        for (key, _) in mapping {
            if let text = key.scalar?.string, let mark = key.mark { result[text] = SourceLocation(line: mark.line, column: mark.column) }
        }
        return result
    }

    /// A dictionary view of `mapping(allowed:)`.
    func fields(allowed: Set<String>, rule: String? = nil) throws(RulesError) -> [String: YAMLField] {
        var result: [String: YAMLField] = [:]
        for (key, value) in try mapping(allowed: allowed, rule: rule) { result[key] = value }
        return result
    }

    var label: String { path.isEmpty ? "the document" : "`\(path)`" }

    func sequence(rule: String? = nil) throws(RulesError) -> [YAMLField] {
        guard case let .sequence(sequence) = node else {
            throw error("expected-list", rule: rule, "\(label) must be a list (`- item` lines or `[a, b]`).")
        }
        return sequence.enumerated().map { YAMLField(node: $1, source: source, path: "\(path)[\($0)]") }
    }

    var isSequence: Bool { if case .sequence = node { true } else { false } }
    var isMapping: Bool { if case .mapping = node { true } else { false } }
    var isNull: Bool { if case let .scalar(scalar) = node { scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) } else { false } }

    func string(rule: String? = nil) throws(RulesError) -> String {
        guard case let .scalar(scalar) = node else {
            throw error("expected-scalar", rule: rule, "\(label) must be a single value, not a list or mapping.")
        }
        return scalar.string
    }

    func int(rule: String? = nil) throws(RulesError) -> Int {
        guard let value = Int(try string(rule: rule)) else {
            throw error("expected-int", rule: rule, "\(label) must be a whole number.")
        }
        return value
    }

    func bool(rule: String? = nil) throws(RulesError) -> Bool {
        switch try string(rule: rule) {
        case "true", "True", "yes": return true
        case "false", "False", "no": return false
        default: throw error("expected-bool", rule: rule, "\(label) must be `true` or `false`.")
        }
    }

    /// A list of strings; a single scalar is accepted as a one-element list when `allowScalar`.
    func strings(rule: String? = nil) throws(RulesError) -> [String] {
        var result: [String] = []
        for item in try sequence(rule: rule) { result.append(try item.string(rule: rule)) }
        return result
    }
}
