import Testing
@testable import ActivityRules

@Suite struct LoadErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var code: String
        var line: Int
        var column: Int
        var rule: String? = nil
        var testDescription: String { name }
    }

    static let header = "version: 1\nrules:\n"
    static let ok = "  - {id: ok, description: d., activity: a, match: {methods: [GET], path: /ok}}\n"

    /// The snippet shows the line the location names, whatever the file's line endings: YAML
    /// counts a lone CR, CRLF and LS as line breaks, as LF.
    @Test(arguments: ["\n", "\r\n", "\r", "\u{2028}"])
    func snippetFollowsTheLineEndings(_ newline: String) throws {
        let yaml = ["version: 1", "rules:", "  - {id: r, description: d., activity: a, match: {methods: [GETT], path: /x}}", ""].joined(separator: newline)
        do {
            _ = try RuleSet(yaml: yaml, file: "r.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.line == 3)
            #expect(error.snippet == "    - {id: r, description: d., activity: a, match: {methods: [GETT], path: /x}}\n  " + String(repeating: " ", count: error.column - 1) + "^")
        }
    }

    /// Found by fuzz-rules-file: a syntax error after lone CRs is located on a line YAML counts.
    @Test func aSyntaxErrorAfterLoneCarriageReturnsHasItsLine() throws {
        let yaml = "version: 1\nrules:\n  - {id: r\n " + String(repeating: "\r", count: 60) + "  [\n"
        do {
            _ = try RuleSet(yaml: yaml, file: "r.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.line > 0)
            #expect(error.snippet != nil, "\(error)")
        }
    }

    static let cases: [Case] = [
        .init(name: "yaml syntax", yaml: "version: 1\nrules: [\n", code: "yaml-syntax", line: 3, column: 1),
        .init(name: "missing version", yaml: "rules: []\n", code: "missing-version", line: 1, column: 1),
        .init(name: "unknown top-level key", yaml: "version: 1\nrulez: []\n", code: "unknown-key", line: 2, column: 1),
        .init(name: "duplicate key", yaml: "version: 1\nversion: 1\nrules: []\n", code: "duplicate-key", line: 1, column: 1),
        .init(name: "unknown rule key", yaml: header + "  - id: r\n    description: d.\n    activity: a\n    mtach: {}\n", code: "unknown-key", line: 6, column: 5, rule: "r"),
        .init(name: "bad id", yaml: header + "  - {id: Bad_Id, description: d., activity: a, match: {methods: [GET], path: /x}}\n", code: "bad-id", line: 3, column: 10),
        .init(name: "duplicate id", yaml: header + ok + ok, code: "duplicate-id", line: 4, column: 5, rule: "ok"),
        .init(name: "unknown method", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: [GET, PSOT], path: /x}}\n", code: "unknown-method", line: 3, column: 66, rule: "r"),
        .init(name: "unknown list", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: writes, path: /x}}\n", code: "unknown-list", line: 3, column: 60, rule: "r"),
        .init(name: "bad constraint", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: [GET], path: '/x/{id:number}'}}\n", code: "bad-path", line: 3, column: 81, rule: "r"),
        .init(name: "double star in the middle", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: [GET], path: /x/**/y}}\n", code: "bad-path", line: 3, column: 76, rule: "r"),
        .init(name: "backreference", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: [GET], regex: '/(a)\\1'}}\n", code: "bad-regex", line: 3, column: 79, rule: "r"),
        .init(name: "lookahead", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: [GET], regex: '/(?=a)'}}\n", code: "bad-regex", line: 3, column: 76, rule: "r"),
        .init(name: "path and regex", yaml: header + "  - {id: r, description: d., activity: a, match: {methods: [GET], path: /x, regex: /x}}\n", code: "match-shape", line: 3, column: 50, rule: "r"),
        .init(name: "unknown placeholder with a fallback", yaml: header + "  - {id: r, description: d., activity: a, description_template: 'x {nope|y}', match: {methods: [GET], path: /x}}\n", code: "unknown-placeholder", line: 3, column: 65, rule: "r"),
        .init(name: "unknown placeholder", yaml: header + "  - {id: r, description: d., activity: a, description_template: 'x {nope}', match: {methods: [GET], path: /x}}\n", code: "unknown-placeholder", line: 3, column: 65, rule: "r"),
        .init(name: "bad status", yaml: header + "  - {id: r, description: d., activity: a, record_status: [2xy], match: {methods: [GET], path: /x}}\n", code: "bad-status", line: 3, column: 59, rule: "r"),
        .init(name: "catch-all with GET", yaml: header + ok + "catch_all: {id: c, description: d., activity: a, methods: [GET, POST]}\n", code: "catch-all-safe-method", line: 4, column: 59, rule: "c"),
        .init(name: "exception without reason", yaml: "version: 1\nexceptions:\n  - {id: e, match: {path: /x}}\nrules: []\n", code: "missing-reason", line: 3, column: 5, rule: "e"),
        .init(
            name: "equal-rank conflict",
            yaml: header + "  - {id: a, description: d., activity: a, match: {methods: [GET, POST], path: '/r/{x}/c'}}\n"
                + "  - {id: b, description: d., activity: a, match: {methods: [POST], path: '/r/b/{y}'}}\n",
            code: "rank-conflict", line: 4, column: 5, rule: "b"
        ),
        .init(
            name: "duplicate exact paths",
            yaml: header + "  - {id: a, description: d., activity: a, match: {methods: [GET], path: /x}}\n"
                + "  - {id: b, description: d., activity: a, match: {methods: [GET], path: /x}}\n",
            code: "rank-conflict", line: 4, column: 5, rule: "b"
        ),
    ]

    @Test(arguments: cases)
    func loadError(_ testCase: Case) {
        #expect {
            _ = try RuleSet(yaml: testCase.yaml, file: "bad.yaml")
        } throws: { error in
            guard let error = error as? RulesError else { return false }
            #expect(error.code == testCase.code, "\(error.rendered)")
            #expect(error.line == testCase.line, "\(error.rendered)")
            #expect(error.column == testCase.column, "\(error.rendered)")
            #expect(error.ruleID == testCase.rule, "\(error.rendered)")
            #expect(error.file == "bad.yaml")
            return true
        }
    }

    @Test(arguments: [
        ("/r/{x:int}", "/r/{y:uuid}"),
        ("/r/{x}/c", "/r/{y}/d"),
        ("/r/{x}/", "/r/{y}"),
        ("/r/a/**", "/r/{x}/b"),
    ])
    func nonOverlappingEqualRanksAreFine(_ first: String, _ second: String) throws {
        let ruleSet = try rules(Self.header + "  - {id: a, description: d., activity: a, match: {methods: [GET], path: '\(first)'}}\n"
            + "  - {id: b, description: d., activity: a, match: {methods: [GET], path: '\(second)'}}\n")
        #expect(ruleSet.count == 2)
    }

    @Test func renderedErrorHasLocationCodeSentenceAndCaret() {
        do {
            _ = try RuleSet(yaml: Self.header + "  - {id: r, description: d., activity: a, match: {methods: [GET, PSOT], path: /x}}\n", file: "rules/x.yaml")
            Issue.record("expected an error")
        } catch {
            let lines = error.rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("rules/x.yaml:3:66: error[unknown-method]: `PSOT` is not a method;"))
            #expect(lines[0].hasSuffix("(rule r)"))
            #expect(lines[1] == "  " + "  - {id: r, description: d., activity: a, match: {methods: [GET, PSOT], path: /x}}")
            #expect(lines[2] == "  " + String(repeating: " ", count: 65) + "^")
        }
    }
}
