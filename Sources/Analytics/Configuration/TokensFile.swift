import ConfigValues
import Foundation
import Yams

/// `analytics.tokens_file`: a YAML list of token entries with the schema of `analytics.tokens`,
/// kept apart from the main configuration (e.g. a mounted secret).
///
/// ```yaml
/// - token: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
///   role: manager
/// - {token: "a-plain-token-of-24-chars", role: user, user_id: alice}
/// ```
/// Unknown keys are errors, as in the main file. Values are judged with the main configuration's
/// (`AnalyticsConfiguration.problems()`).
enum TokensFile {
    /// The largest file read: a tokens file is a few kilobytes; anything this large is a mistake.
    static let maxBytes = BoundedTextFile.largestConfigurationFile

    /// Reads the entries of `path`, relative to `directory` unless absolute (blocking file I/O,
    /// done once while the configuration is read). Only a regular file of at most `maxBytes` is
    /// read (`BoundedTextFile`): `/dev/zero`, a pipe or a huge log named by mistake is an error,
    /// not a hang or an exhausted memory.
    static func load(path: String, directory: String?) throws(TokensFileError) -> [AnalyticsConfiguration.Token] {
        let resolved = path.hasPrefix("/") || directory == nil ? path : URL(fileURLWithPath: directory ?? "").appendingPathComponent(path).path
        let text: String
        do {
            text = try BoundedTextFile.read(path: resolved, maxBytes: maxBytes)
        } catch {
            throw TokensFileError(path: resolved, message: error.describe(kind: "tokens file (a YAML list of token entries)"))
        }
        return try parse(text: text, path: resolved)
    }

    /// The entries of the YAML `text` of the file at `path` (named in errors). Never traps on any
    /// text (fuzzed by `fuzz-config-file`).
    static func parse(text: String, path resolved: String) throws(TokensFileError) -> [AnalyticsConfiguration.Token] {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { return [] }
            root = node
        } catch {
            throw TokensFileError(path: resolved, message: "is not valid YAML: \(YAMLErrorText(error))")
        }
        guard let entries = root.sequence else {
            throw TokensFileError(path: resolved, message: "must be a YAML list of token entries (- token: …, role: …)")
        }
        let allowed = Set(AnalyticsConfiguration.Token.CodingKeys.allCases.map(\.rawValue))
        for (index, entry) in entries.enumerated() {
            guard let mapping = entry.mapping else {
                throw TokensFileError(path: resolved, message: "entry \(index + 1) (line \(entry.mark?.line ?? 0)) must be a mapping with token and role")
            }
            for key in mapping.keys where !allowed.contains(key.string ?? "") {
                throw TokensFileError(
                    path: resolved,
                    message: "entry \(index + 1) (line \(key.mark?.line ?? 0)): unknown key \(key.string ?? "?"); allowed: \(allowed.sorted().joined(separator: ", "))")
            }
        }
        do {
            return try YAMLDecoder().decode([AnalyticsConfiguration.Token].self, from: root)
        } catch let error as DecodingError {
            throw TokensFileError(path: resolved, message: Self.describe(error))
        } catch {
            throw TokensFileError(path: resolved, message: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "entry \($0 + 1)" } ?? $0.stringValue }.joined(separator: ", ")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)): \(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// A tokens file that cannot be used: its resolved path and what is wrong.
struct TokensFileError: Error, CustomStringConvertible {
    var path: String
    var message: String
    var description: String { "the tokens file \(path) \(message)" }
}
