import Testing
@testable import ActivityRules

@Suite struct MatchingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var method: String
        var target: String
        var rule: String?
        var captures: [String: String] = [:]
        var testDescription: String { "\(method) \(target) → \(rule ?? "none")" }
    }

    static let defaultCases: [Case] = [
        .init(method: "POST", target: "/api/v1/reports/", rule: "report-create"),
        .init(method: "POST", target: "/api/v1/reports/upload/", rule: "report-upload-csv"),
        .init(method: "GET", target: "/api/v1/reports/9/", rule: nil),
        .init(method: "GET", target: "/api/v1/reports/", rule: nil),
        .init(method: "HEAD", target: "/api/v1/reports/9/", rule: nil),
        .init(method: "PATCH", target: "/api/v1/reports/9/", rule: "report-update"),
        .init(method: "DELETE", target: "/api/v1/reports/9/", rule: "report-delete"),
        .init(method: "POST", target: "/api/v1/reports/9/generate/", rule: "report-generate", captures: ["report_id": "9"]),
        .init(method: "POST", target: "/api/v1//reports/./x/../1/generate/", rule: "report-generate", captures: ["report_id": "1"]),
        .init(method: "POST", target: "/api/v1/reports/%31/generate/", rule: "report-generate", captures: ["report_id": "1"]),
        .init(method: "POST", target: "/api/v1/reports/1%2Fgenerate%2F", rule: "report-generate"),
        .init(method: "POST", target: "/api/v1/reports/1/generate/?a=/api/v1/clients/", rule: "report-generate"),
        .init(method: "POST", target: "http://example.com/api/v1/reports/1/generate/", rule: "report-generate"),
        .init(method: "POST", target: "/api/v1/reports/1/generate", rule: "other-mutation"),
        .init(method: "GET", target: "/api/v1/reports/1/download/?format=pdf", rule: "report-download"),
        .init(method: "POST", target: "/api/v1/reports/1/share/", rule: "report-share"),
        .init(method: "POST", target: "/api/v1/clients/", rule: "client-create"),
        .init(method: "PUT", target: "/api/v1/clients/3/", rule: "client-update", captures: ["client_id": "3"]),
        .init(method: "DELETE", target: "/api/v1/clients/3/", rule: "client-delete"),
        .init(method: "GET", target: "/api/v1/clients/3/", rule: nil),
        .init(method: "PUT", target: "/api/v1/somewhere/", rule: "other-mutation"),
        .init(method: "OPTIONS", target: "/api/v1/reports/", rule: nil),
        .init(method: "BREW", target: "/api/v1/reports/", rule: nil),
        .init(method: "GET", target: "/healthz", rule: nil),
        .init(method: "POST", target: "/static/x.js", rule: nil),
        .init(method: "POST", target: "/api/v1/auth/token/", rule: nil),
        .init(method: "POST", target: "/api/v1/../../api/v1/auth/token/", rule: nil),
    ]

    @Test(arguments: defaultCases)
    func shippedRules(_ testCase: Case) {
        let match = defaultRules.match(method: testCase.method, target: testCase.target)
        #expect(match?.ruleID == testCase.rule)
        if let match, !testCase.captures.isEmpty {
            #expect(Dictionary(uniqueKeysWithValues: match.captures.map { ($0.name, $0.value) }) == testCase.captures)
        }
    }

    static let precedenceYAML = """
    version: 1
    rules:
      - {id: exact, description: d., activity: a, match: {methods: [GET], path: /a/b/c}}
      - {id: two-literals, description: d., activity: a, match: {methods: [GET], path: "/a/{x}/c"}}
      - {id: one-literal-int, description: d., activity: a, match: {methods: [GET], path: "/a/{x:int}/{y}"}}
      - {id: one-literal, description: d., activity: a, match: {methods: [GET], path: "/a/{x}/{y}"}}
      - {id: star, description: d., activity: a, match: {methods: [GET], path: "/s/*/end"}}
      - {id: double-star, description: d., activity: a, match: {methods: [GET], path: "/a/**"}}
      - {id: uuid, description: d., activity: a, match: {methods: [GET], path: "/u/{id:uuid}"}}
      - {id: slug, description: d., activity: a, match: {methods: [GET], path: "/g/{s:slug}"}}
      - {id: regex-first, description: d., activity: a, match: {methods: [GET], regex: '^/r/(?P<n>[0-9]+)$'}}
      - {id: regex-second, description: d., activity: a, match: {methods: [GET], regex: '/r/.*'}}
      - {id: disabled, description: d., activity: a, enabled: false, match: {methods: [GET], path: /off}}
    """

    static let precedenceCases: [Case] = [
        .init(method: "GET", target: "/a/b/c", rule: "exact"),
        .init(method: "GET", target: "/a/z/c", rule: "two-literals", captures: ["x": "z"]),
        .init(method: "GET", target: "/a/5/q", rule: "one-literal-int", captures: ["x": "5", "y": "q"]),
        .init(method: "GET", target: "/a/z/q", rule: "one-literal"),
        .init(method: "GET", target: "/a/z/q/r", rule: "double-star"),
        .init(method: "GET", target: "/a", rule: "double-star"),
        .init(method: "GET", target: "/a/z/c/", rule: "double-star"),
        .init(method: "GET", target: "/s/anything/end", rule: "star"),
        .init(method: "GET", target: "/s/end", rule: nil),
        .init(method: "GET", target: "/u/3F2B8C1E-0D4A-4C2E-9B1A-2F6D8E7C5A10", rule: "uuid"),
        .init(method: "GET", target: "/u/3f2b8c1e0d4a4c2e9b1a2f6d8e7c5a10", rule: nil),
        .init(method: "GET", target: "/g/my-report_2", rule: "slug"),
        .init(method: "GET", target: "/g/my%20report", rule: nil),
        .init(method: "GET", target: "/r/42", rule: "regex-first", captures: ["n": "42"]),
        .init(method: "GET", target: "/r/x", rule: "regex-second"),
        .init(method: "GET", target: "/off", rule: nil),
        .init(method: "POST", target: "/a/b/c", rule: nil),
    ]

    @Test(arguments: precedenceCases)
    func precedence(_ testCase: Case) throws {
        let ruleSet = try rules(Self.precedenceYAML)
        let match = ruleSet.match(method: testCase.method, target: testCase.target)
        #expect(match?.ruleID == testCase.rule)
        if let match, !testCase.captures.isEmpty {
            #expect(Dictionary(uniqueKeysWithValues: match.captures.map { ($0.name, $0.value) }) == testCase.captures)
        }
    }

    @Test func exceptionsBeatEveryRuleIncludingTheCatchAll() throws {
        let ruleSet = try rules("""
        version: 1
        lists:
          internal: {path_prefixes: [/internal/]}
        exceptions:
          - {id: internal, reason: Not user traffic., match: {path_prefixes: internal}}
          - {id: probe-post, reason: Probes., match: {methods: [POST], path: "/x/{id:int}/ping"}}
          - {id: bots, reason: Bots., match: {regex: '/bot/.*'}}
        rules:
          - {id: x, description: d., activity: a, match: {methods: [POST], path: "/x/{id}/ping"}}
          - {id: internal-thing, description: d., activity: a, match: {methods: [POST], path: /internal/thing}}
        catch_all: {id: other, description: d., activity: other}
        """)
        #expect(ruleSet.match(method: "POST", target: "/x/abc/ping")?.ruleID == "x")
        #expect(ruleSet.match(method: "POST", target: "/x/12/ping") == nil)
        #expect(ruleSet.match(method: "POST", target: "/internal/thing") == nil)
        #expect(ruleSet.match(method: "DELETE", target: "/bot/a/b") == nil)
        #expect(ruleSet.match(method: "DELETE", target: "/other")?.ruleID == "other")
        #expect(ruleSet.match(method: "GET", target: "/other") == nil)
    }

    @Test func recordStatusDefaultsTo2xxAnd3xx() throws {
        let match = try #require(defaultRules.match(method: "POST", target: "/api/v1/reports/1/generate/"))
        #expect(match.records(status: 200) && match.records(status: 204) && match.records(status: 302))
        #expect(!match.records(status: 199) && !match.records(status: 400) && !match.records(status: 500))
    }

    @Test(arguments: [
        ("[2xx]", 200, true), ("[2xx]", 301, false), ("[204, 404]", 404, true), ("[200-202]", 203, false), ("[200-202]", 202, true),
    ])
    func recordStatus(_ list: String, _ status: Int, _ recorded: Bool) throws {
        let ruleSet = try rules("""
        version: 1
        rules:
          - {id: r, description: d., activity: a, record_status: \(list), match: {methods: [GET], path: /r}}
        """)
        #expect(try #require(ruleSet.match(method: "GET", target: "/r")).records(status: status) == recorded)
    }

    @Test func descriptionAndMetadataCaptureAllowListedValues() throws {
        let ruleSet = try rules("""
        version: 1
        rules:
          - id: r
            description: d.
            activity: a
            match: {methods: [POST], path: "/r/{id}"}
            metadata: {query: [format, token], headers: [X-Source]}
            description_template: "{method} r {id} as {query.format} from {header.x-source} ({status})"
        """)
        let match = try #require(ruleSet.match(method: "POST", target: "/r/7?format=a+b&token=s3cret&other=x"))
        let metadata = match.metadata(headers: headers(["x-source: cli", "X-Other: no"]), redact: ["token"])
        #expect(metadata == ["id": "7", "query.format": "a b", "query.token": "<redacted>", "header.x-source": "cli"])
        #expect(match.description(metadata: metadata, status: 201) == "POST r 7 as a b from cli (201)")
        #expect(match.description(metadata: ["id": "7"], status: 201) == "POST r 7 as - from - (201)")
        // The members the activity keeps: the same, sorted by key bytes, described the same.
        let members = match.metadataMembers(headers: headers(["x-source: cli", "X-Other: no"]), redact: ["token"])
        #expect(members.map(\.key) == ["header.x-source", "id", "query.format", "query.token"])
        #expect(Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) }) == metadata)
        #expect(match.description(members: members, status: 201) == "POST r 7 as a b from cli (201)")
    }

    /// A name listed twice gives one member, as one dictionary key did (header names are lower-cased
    /// when the file is read); equal keys keep the last value added, and keys sort by their bytes
    /// (upper case before lower, `é` after ASCII).
    @Test func metadataMembersAreSortedAndUnique() throws {
        let ruleSet = try rules("""
        version: 1
        rules:
          - id: r
            description: d.
            activity: a
            match: {methods: [GET], path: "/r/{id}"}
            metadata: {query: [b, a, b, B, é], headers: [X-A, x-a]}
        """)
        let match = try #require(ruleSet.match(method: "GET", target: "/r/7?a=1&b=2&B=3&%C3%A9=4"))
        let members = match.metadataMembers(headers: headers(["X-A: h"]), redact: [])
        #expect(members.map(\.key) == ["header.x-a", "id", "query.B", "query.a", "query.b", "query.é"])
        #expect(members.map(\.value) == ["h", "7", "3", "1", "2", "4"])
        // Canonically equal names are one key, as in a dictionary: the first name's bytes, the last value.
        let accents = try rules("""
        version: 1
        rules:
          - {id: r, description: d., activity: a, match: {methods: [GET], path: "/r"}, metadata: {query: ["\u{E9}", "e\u{301}"]}}
        """)
        let accented = try #require(accents.match(method: "GET", target: "/r?%C3%A9=1"))
        let one = accented.metadataMembers(headers: [], redact: [])
        #expect(one.count == 1)
        #expect(one.map { Array($0.key.utf8) } == [Array("query.\u{E9}".utf8)])
        #expect(one.map(\.value) == ["1"])
        let sorted = MetadataMember.sortedUnique([
            MetadataMember(key: "k", value: "first"), MetadataMember(key: "a", value: "x"), MetadataMember(key: "k", value: "last"),
        ])
        #expect(sorted == [MetadataMember(key: "a", value: "x"), MetadataMember(key: "k", value: "last")])
    }

    /// Django's `request.GET[name]` is the last value of a repeated parameter: the activity records
    /// the value the app acted on, and a client cannot show one value to the proxy and another to the app.
    @Test(arguments: [
        ("/r/7?format=csv&format=pdf", "pdf"),
        ("/r/7?format=csv&other=1&format=&x=2", ""),
        ("/r/7?format=csv&format", ""),
        ("/r/7?format=csv&Format=pdf", "csv"),
        ("/r/7?format=a&format=b&format=c", "c"),
    ])
    func repeatedQueryParameterTakesTheLastValue(_ target: String, _ format: String) throws {
        let ruleSet = try rules("""
        version: 1
        rules:
          - {id: r, description: d., activity: a, match: {methods: [GET], path: "/r/{id}"}, metadata: {query: [format]}}
        """)
        let match = try #require(ruleSet.match(method: "GET", target: target))
        #expect(match.metadata(headers: [], redact: [])["query.format"] == format)
    }

    @Test func placeholderFallbacks() throws {
        let ruleSet = try RuleSet(yaml: """
            version: 1
            rules:
              - id: r
                description: d.
                activity: a
                match: {methods: [GET], path: "/r/{id}"}
                metadata: {query: [format]}
                description_template: "r {id} as {query.format|the default format}, {query.format|}."
            """, file: "test.yaml")
        let match = try #require(ruleSet.match(method: "GET", target: "/r/7"))
        #expect(match.description(metadata: match.metadata(headers: [], redact: []), status: 200) == "r 7 as the default format, .")
        let withFormat = try #require(ruleSet.match(method: "GET", target: "/r/7?format=pdf"))
        #expect(withFormat.description(metadata: withFormat.metadata(headers: [], redact: []), status: 200) == "r 7 as pdf, pdf.")
    }

    @Test func ruleCountAndHashAreStable() throws {
        let yaml = "version: 1\nrules:\n  - {id: r, description: d., activity: a, match: {methods: [GET], path: /r}}\n"
        let first = try rules(yaml), second = try rules(yaml)
        #expect(first.count == 1)
        #expect(first.hash == second.hash)
        #expect(first.hash.count == 64)
        #expect(try rules(yaml + "# changed\n").hash != first.hash)
    }
}
