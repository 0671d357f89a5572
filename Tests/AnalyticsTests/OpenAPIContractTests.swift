import Foundation
import Testing
import Yams

@testable import Analytics

/// The OpenAPI document and the service stay in step: the same paths, the same query parameters,
/// and the document that is served is the one in `docs/openapi.yaml`.
@Suite struct OpenAPIContractTests {
    /// The document's operations: path (without its trailing slash) → query parameter names.
    static func documentedOperations() throws -> [String: Set<String>] {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let shared = try #require(components["parameters"] as? [String: [String: Any]])
        var operations: [String: Set<String>] = [:]
        for (path, item) in paths {
            let get = try #require((item as? [String: Any])?["get"] as? [String: Any], "\(path) has a GET operation")
            var names: Set<String> = []
            for parameter in get["parameters"] as? [[String: Any]] ?? [] {
                if let reference = parameter["$ref"] as? String {
                    let name = try #require(reference.split(separator: "/").last.map(String.init))
                    names.insert(try #require(shared[name]?["name"] as? String, "\(reference) resolves"))
                } else {
                    names.insert(try #require(parameter["name"] as? String))
                }
            }
            operations[String(path.dropLast(path.hasSuffix("/") ? 1 : 0))] = names
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndNothingElse() throws {
        let documented = try Self.documentedOperations()
        #expect(Set(documented.keys) == Set(AnalyticsRoute.allCases.map(\.path)))
    }

    /// Which parameters each route reads, recorded while its query parser runs on an empty query
    /// (every reader is asked: nothing fails early).
    static func readParameters(_ route: AnalyticsRoute) throws -> Set<String> {
        let names = QueryParameters.AskedNames()
        let parameters = QueryParameters(query: "", recordingInto: names)
        let admin = AnalyticsAccess(role: .admin)
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        switch route {
        case .userActivity: _ = try UserActivityQuery(parameters, access: admin, now: now)
        case .activitySummary: _ = try SummaryQuery(parameters, access: admin, now: now)
        case .systemHealth: break  // reads no parameter
        }
        return names.all
    }

    @Test(arguments: AnalyticsRoute.allCases)
    func theDocumentedParametersAreTheOnesTheRouteReads(route: AnalyticsRoute) throws {
        let documented = try #require(try Self.documentedOperations()[route.path])
        #expect(try Self.readParameters(route) == documented)
    }

    @Test func theServedJSONIsTheDocument() throws {
        let json = try OpenAPIDocument.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["openapi"] as? String == "3.1.0")
        let yaml = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        #expect(NSDictionary(dictionary: object).isEqual(to: yaml))
    }

    /// `docs/openapi.yaml` is the embedded file (a link), so what readers see is what is served.
    @Test func docsLinkToTheEmbeddedDocument() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        #expect(docs == OpenAPIDocument.yaml)
    }
}
