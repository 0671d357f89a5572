import ConfigValues
import Foundation
import Yams
import ActivityRules

/// Builds a configuration from a YAML file, environment variables and flags, in that order of
/// increasing precedence (flag > environment > file > default), all resolved here: the one loader
/// both processes (`serve`, `analytics serve`) and every command use. Decoding reads types; a
/// `ConfigurationSection` root then judges the values (`problems()`), the one way to validate.
///
/// Why not apple/swift-configuration (looked at, 1.4.0): it reads values key by key through a
/// `ConfigReader` rather than decoding typed sections, and has no rejection of unknown keys and no
/// file positions in its errors; those two catch most operator mistakes here (a misspelt or
/// misindented key), so adopting it would take away checks we have.
///
/// Unknown keys are errors: after decoding, the value is encoded again and every key of the input
/// must appear in the result. This works for any `Codable` configuration whose `encode(to:)` writes
/// every key it reads, which every configuration struct of this project does.
package struct ConfigurationLoader<Configuration: Codable> {
    /// Whether sections read the files the configuration names (`analytics.tokens_file`); see
    /// `CodingUserInfoKey.readsNamedFiles`.
    package var readsNamedFiles: Bool

    package init(readsNamedFiles: Bool = false) {
        self.readsNamedFiles = readsNamedFiles
    }

    /// Loads `path` (nil: defaults only), then applies `overrides` in order.
    package func load(path: String?, overrides: [ConfigurationOverride]) throws(ConfigurationError) -> Configuration {
        guard let path else { return try load(yaml: nil, fileName: nil, overrides: overrides) }
        let text: String
        do {
            text = try BoundedTextFile.read(path: path, maxBytes: BoundedTextFile.largestConfigurationFile)
        } catch {
            throw ConfigurationError(source: path, keyPath: "", message: "the configuration file \(error.describe(kind: "configuration file"))")
        }
        return try load(yaml: text, fileName: path, overrides: overrides)
    }

    /// Loads the YAML text of the file `fileName` (nil: defaults only), then applies `overrides`.
    /// Never traps on any text: the result is a configuration or an error with its location.
    package func load(yaml text: String?, fileName: String?, overrides: [ConfigurationOverride] = []) throws(ConfigurationError) -> Configuration {
        var root: Node = .mapping(.init([]))
        if let text {
            do {
                if let node = try Yams.compose(yaml: text) { root = node }
            } catch {
                throw ConfigurationError(source: fileName, keyPath: "", message: "is not valid YAML: \(YAMLErrorText(error))")
            }
            guard root.mapping != nil else {
                throw ConfigurationError(source: fileName, keyPath: "", message: "the configuration must be a mapping of keys to values")
            }
        }
        var sources: [String: String] = [:]
        for override in overrides {
            let value: Node
            do {
                value = try Yams.compose(yaml: override.yaml) ?? Node("", Tag(.null))
            } catch {
                value = Node(override.yaml, Tag(.str))
            }
            try Self.set(value, at: override.keyPath, in: &root, source: override.source)
            sources[override.keyPath.joined(separator: ".")] = override.source
        }

        let configuration: Configuration
        do {
            // Files the configuration names (analytics.tokens_file) are relative to its directory.
            let directory = fileName.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            var userInfo: [CodingUserInfoKey: Any] = [.readsNamedFiles: readsNamedFiles]
            if let directory { userInfo[.configurationDirectory] = directory }
            configuration = try YAMLDecoder().decode(Configuration.self, from: root, userInfo: userInfo)
        } catch let error as DecodingError {
            throw Self.describe(error, root: root, fileName: fileName, sources: sources)
        } catch {
            throw ConfigurationError(source: fileName, keyPath: "", message: "\(error)")
        }
        try Self.rejectUnknownKeys(in: root, knownFrom: configuration, fileName: fileName, sources: sources)
        if let section = configuration as? any ConfigurationSection, let problem = section.problems().first {
            throw Self.locate(problem, root: root, fileName: fileName, sources: sources)
        }
        return configuration
    }

    /// A problem found after decoding, at the flag, environment variable or file position its
    /// value came from (the nearest enclosing key's position when the key itself is absent).
    private static func locate(_ problem: ConfigurationProblem, root: Node, fileName: String?, sources: [String: String]) -> ConfigurationError {
        // `identity.sources[1].strip` → identity, sources, 1, strip
        let keys = problem.keyPath.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "")
            .split(separator: ".").map(String.init)
        var node: Node? = root
        var mark = root.mark
        for key in keys {
            node = node?[key] ?? Int(key).flatMap { node?[$0] }
            if let found = node?.mark { mark = found }
        }
        let source = (0...keys.count).reversed().lazy.compactMap { sources[keys.prefix($0).joined(separator: ".")] }.first
        return ConfigurationError(source: source ?? location(mark, fileName), keyPath: problem.keyPath, message: problem.message)
    }

    /// The configuration as YAML, secrets redacted (they encode as `<redacted>`).
    package static func render(_ configuration: Configuration) -> String {
        (try? YAMLEncoder().encode(configuration)) ?? "\(configuration)"
    }

    private static func set(_ value: Node, at path: [String], in node: inout Node, source: String) throws(ConfigurationError) {
        guard let key = path.first else {
            node = value
            return
        }
        guard var mapping = node.mapping else {
            throw ConfigurationError(source: source, keyPath: path.joined(separator: "."), message: "cannot be set: its parent is not a mapping")
        }
        var child = mapping[key] ?? .mapping(.init([]))
        if path.count > 1, child.mapping == nil { child = .mapping(.init([])) }
        try set(value, at: Array(path.dropFirst()), in: &child, source: source)
        mapping[key] = child
        node = .mapping(mapping)
    }

    private static func rejectUnknownKeys(
        in input: Node, knownFrom configuration: Configuration, fileName: String?, sources: [String: String]
    ) throws(ConfigurationError) {
        let known: Node
        do {
            known = try Yams.compose(yaml: YAMLEncoder().encode(configuration)) ?? .mapping(.init([]))
        } catch {
            return  // cannot happen for our structs; decoding already succeeded
        }
        try compare(input, known, path: [], fileName: fileName, sources: sources)
    }

    private static func compare(_ input: Node, _ known: Node, path: [String], fileName: String?, sources: [String: String]) throws(ConfigurationError) {
        switch (input, known) {
        case (.mapping(let inputMapping), .mapping(let knownMapping)):
            for (keyNode, value) in inputMapping {
                let key = keyNode.string ?? "\(keyNode)"
                let keyPath = path + [key]
                guard let knownValue = knownMapping[key] else {
                    let allowed = knownMapping.keys.compactMap(\.string).sorted().joined(separator: ", ")
                    let dotted = keyPath.joined(separator: ".")
                    throw ConfigurationError(
                        source: sources[dotted] ?? location(keyNode.mark, fileName),
                        keyPath: dotted,
                        message: "unknown key; allowed here: \(allowed)")
                }
                try compare(value, knownValue, path: keyPath, fileName: fileName, sources: sources)
            }
        case (.sequence(let inputSequence), .sequence(let knownSequence)) where inputSequence.count == knownSequence.count:
            for (index, pair) in zip(inputSequence, knownSequence).enumerated() {
                try compare(pair.0, pair.1, path: path + ["\(index)"], fileName: fileName, sources: sources)
            }
        default:
            return
        }
    }

    private static func describe(_ error: DecodingError, root: Node, fileName: String?, sources: [String: String]) -> ConfigurationError {
        let (codingPath, message): ([any CodingKey], String)
        switch error {
        case .typeMismatch(let type, let context):
            (codingPath, message) = (context.codingPath, "expected \(readable(type)); \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            (codingPath, message) = (context.codingPath, "a value is required here (\(readable(type)))")
        case .keyNotFound(let key, let context):
            (codingPath, message) = (context.codingPath + [key], "this key is required")
        case .dataCorrupted(let context):
            (codingPath, message) = (context.codingPath, context.debugDescription)
        @unknown default:
            (codingPath, message) = ([], "\(error)")
        }
        let keys = codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.filter { $0 != "super" }
        let dotted = keys.joined(separator: ".")
        var node: Node? = root
        for key in keys { node = node?[key] ?? Int(key).flatMap { node?[$0] } }
        return ConfigurationError(source: sources[dotted] ?? location(node?.mark, fileName), keyPath: dotted, message: message)
    }

    private static func location(_ mark: Mark?, _ fileName: String?) -> String? {
        guard let fileName else { return nil }
        guard let mark else { return fileName }
        return "\(fileName):\(mark.line):\(mark.column)"
    }

    private static func readable(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is Double.Type: "a number"
        default: "\(type)"
        }
    }
}
