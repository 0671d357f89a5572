import Foundation

/// A rules test file (`rules/NAME.test.yaml`): the rules file it tests, optional `config` (a
/// `tracking:` section), and cases of a request and the expected activity, or `none`.
///
/// ```yaml
/// rules: reports-app.yaml
/// config: {trusted_proxies: [10.0.0.0/8]}
/// tests:
///   - name: generating a report is recorded
///     request: {method: POST, url: /api/v1/reports/7/generate/, peer: 10.0.0.2,
///               headers: {X-Forwarded-For: 203.0.113.9}, status: 200}
///     expect: {rule: report-generate, activity: generate_report, description: Generated report 7,
///              metadata: {report_id: "7"}, client_ip: 203.0.113.9}
///   - name: health checks are not
///     request: {method: GET, url: /healthz}
///     expect: none
/// ```
struct RuleTestFile {
    struct Request {
        var method: String
        var url: String
        var peer: String
        var headers: [(name: String, value: String)]
        var status: Int
    }

    /// Expected fields; nil fields are not compared. `recorded == false` is `expect: none`.
    struct Expectation {
        var recorded: Bool
        var fields: [(key: String, value: String)]
        var metadata: [String: String]?
    }

    struct Case {
        var name: String
        var location: SourceLocation
        var request: Request
        var expect: Expectation
    }

    var rulesPath: String
    var configuration: TrackingConfiguration
    var cases: [Case]

    static let expectKeys: Set<String> = ["rule", "activity", "description", "metadata", "client_ip", "ip_verified", "user_id"]

    init(path: String, text: String) throws(RulesError) {
        let source = SourceText(file: path, text: text)
        let root = try YAMLField.document(source)
        let top = try root.fields(allowed: ["rules", "config", "tests"])
        guard let rulesField = top["rules"] else { throw root.error("missing-rules", "Name the rules file under test: `rules: reports-app.yaml`.") }
        let rules = try rulesField.string()
        rulesPath = rules.hasPrefix("/") ? rules : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(rules)
        configuration = try top["config"].map { field throws(RulesError) in try TrackingConfiguration.decode(field, source: source, prefix: "config") } ?? TrackingConfiguration()
        guard let testsField = top["tests"] else { throw root.error("missing-tests", "Add a `tests:` list of cases.") }
        var cases: [Case] = []
        for item in try testsField.sequence() {
            cases.append(try Self.parseCase(item))
        }
        self.cases = cases
    }

    static func parseCase(_ item: YAMLField) throws(RulesError) -> Case {
        let fields = try item.fields(allowed: ["name", "request", "expect"])
        guard let name = try fields["name"]?.string() else { throw item.error("missing-name", "Every test needs a `name`.") }
        guard let requestField = fields["request"] else { throw item.error("missing-request", "Every test needs a `request`.") }
        let request = try requestField.fields(allowed: ["method", "url", "peer", "headers", "status"])
        guard let method = try request["method"]?.string(), let url = try request["url"]?.string() else {
            throw requestField.error("missing-request", "A request needs `method` and `url`.")
        }
        var headers: [(name: String, value: String)] = []
        if let headersField = request["headers"] {
            if headersField.isSequence {
                for line in try headersField.strings() {
                    guard let header = HeaderLine(line) else { throw headersField.error("bad-header", "Write headers as `Name: value`.") }
                    headers.append((header.name, header.value))
                }
            } else {
                for (key, value) in try headersField.mapping() { headers.append((key, try value.string())) }
            }
        }
        guard let expectField = fields["expect"] else { throw item.error("missing-expect", "Every test needs `expect:` (fields, or `none`).") }
        var expect = Expectation(recorded: true, fields: [], metadata: nil)
        if !expectField.isMapping {
            guard try expectField.string() == "none" else { throw expectField.error("bad-expect", "`expect` is a mapping of fields, or `none`.") }
            expect.recorded = false
        } else {
            for (key, value) in try expectField.mapping(allowed: expectKeys) {
                if key == "metadata" {
                    var metadata: [String: String] = [:]
                    for (name, entry) in try value.mapping() { metadata[name] = try entry.string() }
                    expect.metadata = metadata
                } else {
                    expect.fields.append((key, value.isNull ? "null" : try value.string()))
                }
            }
        }
        return Case(
            name: name, location: item.location,
            request: Request(
                method: method, url: url, peer: try request["peer"]?.string() ?? "192.0.2.10", headers: headers,
                status: try request["status"]?.int() ?? 200
            ),
            expect: expect
        )
    }
}

/// A `Name: value` header line, as written on the command line or in a test.
public struct HeaderLine: Sendable, Hashable {
    /// The header name as written.
    public var name: String
    /// The value, trimmed.
    public var value: String

    /// Parses `Name: value`; nil without a colon or with an empty name.
    public init?(_ line: String) {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        name = line[..<colon].trimmingSpaces
        value = line[line.index(after: colon)...].trimmingSpaces
        guard !name.isEmpty, !name.contains(" ") else { return nil }
    }
}
