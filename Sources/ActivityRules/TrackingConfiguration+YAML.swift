import ConfigValues
import Foundation
import Yams

extension TrackingConfiguration {
    /// Reads the top-level `tracking:` section of a YAML configuration file (other sections are
    /// ignored here; the main configuration loader owns them) and validates it.
    public static func load(configFile path: String) throws(RulesError) -> TrackingConfiguration {
        let text: String
        do {
            text = try BoundedTextFile.read(path: path, maxBytes: BoundedTextFile.largestConfigurationFile)
        } catch {
            throw RulesError(file: path, code: "unreadable", message: "The configuration file \(error.describe(kind: "configuration file")).")
        }
        let source = SourceText(file: path, text: text)
        let root = try YAMLField.document(source)
        guard let section = try root.mapping().first(where: { $0.key == "tracking" })?.value else {
            return TrackingConfiguration()
        }
        let configuration = try decode(section, source: source, prefix: "tracking")
        try configuration.validate()
        return configuration
    }

    /// Decodes a YAML node, turning decoding errors into `RulesError`s that name the key path.
    static func decode(_ field: YAMLField, source: SourceText, prefix: String) throws(RulesError) -> TrackingConfiguration {
        do {
            return try YAMLDecoder().decode(TrackingConfiguration.self, from: field.node)
        } catch let error as DecodingError {
            let (path, message): ([any CodingKey], String) = switch error {
            case let .dataCorrupted(context): (context.codingPath, context.debugDescription)
            case let .typeMismatch(type, context): (context.codingPath, "expected \(type): \(context.debugDescription)")
            case let .valueNotFound(type, context): (context.codingPath, "expected \(type): \(context.debugDescription)")
            case let .keyNotFound(key, context): (context.codingPath + [key], "is required")
            @unknown default: ([], "\(error)")
            }
            let keyPath = ([prefix] + path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }).joined()
                .replacingOccurrences(of: ".[", with: "[")
            throw source.error("bad-config", at: field.location, "\(keyPath): \(message).")
        } catch {
            throw source.error("bad-config", at: field.location, "\(prefix): \(error).")
        }
    }
}
