import Testing
@testable import ActivityRules

@Suite struct SafeRegexTests {
    @Test(arguments: [
        ("/api/v1/reports/[0-9]+/", "/api/v1/reports/42/", true),
        ("/api/v1/reports/[0-9]+/", "/api/v1/reports/4x2/", false),
        ("^/a/(?:b|cd)+$", "/a/bcdb", true),
        ("^/a/(?:b|cd)+$", "/a/bc", false),
        ("/x/\\d{2,3}", "/x/123", true),
        ("/x/\\d{2,3}", "/x/1234", false),
        ("/x/\\d{2}", "/x/1", false),
        ("/x/[^/]*/y", "/x/abc/y", true),
        ("/x/[^/]*/y", "/x/a/b/y", false),
        ("/x/\\w+\\.csv", "/x/data_1.csv", true),
        ("/x/\\w+\\.csv", "/x/data_1xcsv", false),
        ("/a?b", "/b", true),
        ("/a?b", "/ab", true),
        ("/a|/b", "/b", true),
        ("/.*", "/anything/at/all", true),
        ("/[a-c-]+", "/a-c", true),
        ("/[a-c-]+", "/d", false),
        ("/caf\u{e9}", "/caf\u{e9}", true),
    ])
    func matches(_ pattern: String, _ input: String, _ expected: Bool) throws {
        let regex = try SafeRegex(pattern)
        #expect((regex.match(input) != nil) == expected)
    }

    @Test func namedGroupsCapture() throws {
        let regex = try SafeRegex("/r/(?P<id>[0-9]+)/(?<action>[a-z]+)/(x)?")
        let captures = try #require(regex.match("/r/42/generate/"))
        #expect(captures.map(\.0) == ["id", "action"])
        #expect(captures.map(\.1) == ["42", "generate"])
    }

    @Test(arguments: ["(a", "a)", "[a", "a{3,1}", "a{1000}", "*a", "a**", "a*?", "a++", "(?=a)", "(?!a)", "(?<=a)", "(?i)a", "\\1", "\\b", "a^", "$a", "\\"])
    func rejectsUnsupported(_ pattern: String) {
        #expect(throws: TemplateError.self) { try SafeRegex(pattern) }
    }

    /// A catastrophic-backtracking pattern on a 100 KB path: the Pike VM answers correctly in one
    /// linear pass (timing is covered by the benchmark, not asserted here).
    @Test func redosShapedPatternOnLongPath() throws {
        let regex = try SafeRegex("/(a+)+b")
        let long = "/" + String(repeating: "a", count: 100_000)
        #expect(regex.match(long) == nil)
        #expect(regex.match(long + "b") != nil)
        let nested = try SafeRegex("/(?:(?:a|aa)*)*c")
        #expect(nested.match(long) == nil)
    }

    @Test func redosRuleInARuleSetOnLongPath() throws {
        let ruleSet = try rules("""
        version: 1
        rules:
          - {id: evil, description: d., activity: a, match: {methods: [GET], regex: '/(x+x+)+y'}}
        """)
        let path = "/" + String(repeating: "x", count: 100_000)
        #expect(ruleSet.match(method: "GET", target: path) == nil)
        #expect(ruleSet.match(method: "GET", target: path + "y")?.ruleID == "evil")
    }

    @Test func literalPrefixIsComputed() throws {
        #expect(try SafeRegex("^/api/v1/(?:a|b)").literalPrefix == Array("/api/v1/".utf8))
        #expect(try SafeRegex("/ab+c").literalPrefix == Array("/ab".utf8))
        #expect(try SafeRegex("(?:/x)?/y").literalPrefix == [])
    }
}
