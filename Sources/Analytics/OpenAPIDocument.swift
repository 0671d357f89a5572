import Foundation
import Yams

/// The analytics API's contract, `Resources/openapi.yaml` (linked from `docs/openapi.yaml`),
/// compiled into the binary and served at `/openapi.yaml` and `/openapi.json`.
///
/// `OpenAPIContractTests` keep it and the routes in step: every path and query parameter the
/// service reads is documented, and nothing else; schemathesis checks the answers against it.
public enum OpenAPIDocument {
    /// The document as written.
    public static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)

    /// The document as JSON, converted from `yaml`.
    ///
    /// - Throws: when the embedded text is not YAML that converts to JSON (a build defect that the
    ///   tests catch; the service then serves no `/openapi.json` and says so at start).
    public static func json() throws -> String {
        guard let object = try Yams.load(yaml: yaml) else { throw ConversionError() }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    struct ConversionError: Error, CustomStringConvertible {
        var description: String { "the embedded OpenAPI document is empty" }
    }
}
