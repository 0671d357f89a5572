/// A section of the configuration file that checks what decoding alone cannot (ranges, values
/// that must agree with each other), the one way every section is validated.
///
/// Decoding reads types (an integer, a duration); `problems()` judges the decoded values. The
/// configuration loader calls it on the root after decoding and reports the first problem at its
/// key in the file (`config.yaml:12:3: ingest.batch.max_size: …`), or at the flag or environment
/// variable that set it. A section composes its subsections' problems under their keys.
public protocol ConfigurationSection {
    /// Every problem of this section, each at its key path relative to the section; empty when valid.
    func problems() -> [ConfigurationProblem]
}

/// One thing wrong with a configuration value: where (a dotted key path) and a sentence saying what
/// is allowed.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted key path relative to the section that reported it, e.g. `batch.max_size`; list
    /// elements are indexed (`tokens[1].user_id`).
    public var keyPath: String
    /// What is wrong and what is allowed, as a sentence.
    public var message: String

    public init(_ keyPath: String, _ message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    /// The same problem seen from the enclosing section, under `key`.
    public func under(_ key: String) -> ConfigurationProblem {
        ConfigurationProblem(keyPath.isEmpty ? key : "\(key).\(keyPath)", message)
    }

    public var description: String { keyPath.isEmpty ? message : "\(keyPath): \(message)" }
}

extension Array where Element == ConfigurationProblem {
    /// The problems of a subsection, under its key.
    public func under(_ key: String) -> [ConfigurationProblem] { map { $0.under(key) } }
}
