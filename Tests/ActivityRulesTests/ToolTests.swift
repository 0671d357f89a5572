import Foundation
import Testing
@testable import ActivityRules

@Suite struct CheckerTests {
    @Test func shippedFileExitsZeroWithItsDisabledExample() {
        let output = RuleChecker.check(files: [defaultRulesPath])
        #expect(output.exitCode == 0)
        #expect(output.text.contains("reports-app.yaml: 12 rules, hash "))
        #expect(output.text.contains("warning[disabled-rule]: The rule `report-view` is disabled"))
        #expect(output.text.hasSuffix("0 errors, 1 warning\n"))
    }

    /// The shipped rules record what the middleware they replace recorded: mutations and the
    /// download GET, never a plain GET of a report.
    @Test func shippedRulesRecordNoReportView() throws {
        let ruleSet = try RuleSet.load(path: defaultRulesPath)
        let view = try #require(ruleSet.rules.first { $0.id == "report-view" })
        #expect(!view.enabled)
        #expect(ruleSet.match(method: "GET", target: "/api/v1/reports/42/") == nil)
        #expect(ruleSet.match(method: "GET", target: "/api/v1/reports/42/download/")?.ruleID == "report-download")
    }

    @Test func errorsPrintLocationCodeSnippetAndExitOne() {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bad = directory + "/bad.yaml"
        write("version: 1\nrules:\n  - {id: r, description: d., activity: a, match: {methods: [GETT], path: /x}}\n", to: bad)
        let output = RuleChecker.check(files: [defaultRulesPath, bad, directory + "/missing.yaml"])
        #expect(output.exitCode == 1)
        let lines = output.text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(bad):3:61: error[unknown-method]: `GETT` is not a method;") })
        #expect(lines.contains("    - {id: r, description: d., activity: a, match: {methods: [GETT], path: /x}}"))
        #expect(lines.contains("  " + String(repeating: " ", count: 60) + "^"))
        #expect(lines.contains("\(directory)/missing.yaml:0:0: error[unreadable]: The rules file cannot be read (No such file or directory); check the path and its permissions."))
        #expect(lines.last == "2 errors, 1 warning")  // the shipped file's disabled `report-view`
    }

    static let warningsYAML = """
    version: 1
    lists:
      unused-methods: {methods: [GET]}
      internal: {path_prefixes: [/internal/]}
    exceptions:
      - {id: internal, reason: Not users., match: {path_prefixes: internal}}
    rules:
      - {id: off, description: d., activity: a, enabled: false, match: {methods: [GET], path: /off}}
      - {id: hidden, description: d., activity: a, match: {methods: [POST], path: "/internal/{x}"}}
      - {id: wide, description: d., activity: a, match: {methods: [GET], path: "/w/{x}"}}
      - {id: regex-literal, description: d., activity: a, match: {methods: [GET], regex: /w/abc}}
      - {id: regex-one, description: d., activity: a, match: {methods: [GET], regex: '/q/.*'}}
      - {id: regex-two, description: d., activity: a, match: {methods: [GET], regex: '/q/.*'}}
      - {id: no-status, description: d., activity: a, record_status: [], match: {methods: [GET], path: /n}}
      - {id: untested, description: d., activity: a, match: {methods: [GET], path: /t}}
    """

    @Test func warningsForUnusedShadowedUnreachableAndUntested() throws {
        let ruleSet = try rules(Self.warningsYAML)
        let warnings = RuleChecker.warnings(ruleSet, testedRuleIDs: ["wide", "regex-one"])
        #expect(warnings.map { "\($0.code) \($0.subject)" } == [
            "unused-list unused-methods",
            "disabled-rule off",
            "unreachable-rule hidden",
            "shadowed-rule regex-literal",
            "shadowed-rule regex-two",
            "unreachable-rule no-status",
            "untested-rule untested",
        ])
        #expect(warnings[0].location.line == 3)
    }

    @Test func warningsAreRenderedButDoNotFail() {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        write(Self.warningsYAML, to: directory + "/w.yaml")
        let output = RuleChecker.check(files: [directory + "/w.yaml"])
        #expect(output.exitCode == 0)
        #expect(output.text.contains("\(directory)/w.yaml:3:3: warning[unused-list]: The list `unused-methods` is never used;"))
        #expect(output.text.hasSuffix("0 errors, 6 warnings\n"))
    }
}

@Suite struct TestRunnerTests {
    @Test func passAndFailWithDiffAndSummary() {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try! FileManager.default.copyItem(atPath: defaultRulesPath, toPath: directory + "/reports-app.yaml")
        write("""
        rules: reports-app.yaml
        tests:
          - name: generate passes
            request: {method: POST, url: /api/v1/reports/7/generate/}
            expect: {rule: report-generate, description: Generated report 7, metadata: {report_id: "7"}}
          - name: wrong activity fails
            request: {method: POST, url: /api/v1/reports/7/generate/}
            expect: {activity: delete_report, metadata: {report_id: "8"}}
          - name: expected none but recorded
            request: {method: DELETE, url: /api/v1/clients/1/}
            expect: none
          - name: expected an activity but none
            request: {method: GET, url: /api/v1/clients/1/}
            expect: {rule: client-view}
          - name: status not recorded
            request: {method: POST, url: /api/v1/reports/7/generate/, status: 500}
            expect: {rule: report-generate}
        """, to: directory + "/x.test.yaml")
        let output = RuleTestRunner.run(files: [directory + "/x.test.yaml"])
        #expect(output.exitCode == 1)
        #expect(output.text == """
        PASS generate passes
        FAIL \(directory)/x.test.yaml:6: wrong activity fails
          - activity: delete_report
          + activity: generate_report
          - metadata: {report_id: 8}
          + metadata: {report_id: 7}
        FAIL \(directory)/x.test.yaml:9: expected none but recorded
          - recorded: none
          + recorded: delete_client (rule client-delete)
        FAIL \(directory)/x.test.yaml:12: expected an activity but none
          - recorded: yes
          + recorded: none (no rule matched)
        FAIL \(directory)/x.test.yaml:15: status not recorded
          - recorded: yes
          + recorded: none (rule report-generate does not record status 500)
        1 passed, 4 failed

        """)
    }

    @Test func brokenTestFileIsAnError() {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        write("rules: nowhere.yaml\ntests: []\n", to: directory + "/a.test.yaml")
        write("rules: x.yaml\ntests:\n  - {name: n, request: {method: GET, url: /}, expect: maybe}\n", to: directory + "/b.test.yaml")
        let output = RuleTestRunner.run(files: [directory + "/a.test.yaml", directory + "/b.test.yaml"])
        #expect(output.exitCode == 1)
        #expect(output.text.contains("nowhere.yaml:0:0: error[unreadable]"))
        #expect(output.text.contains("b.test.yaml:3:55: error[bad-expect]"))
        #expect(output.text.hasSuffix("0 passed, 0 failed\n"))
    }
}

@Suite struct ExplainTests {
    static func policy(trusted: [String] = ["10.0.0.0/8"]) throws -> TrackingPolicy {
        var configuration = TrackingConfiguration()
        configuration.trustedProxies = trusted.map { IPNetwork($0)! }
        configuration.identity.sources = [.init(header: "X-Forwarded-User")]
        return try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory, rules: defaultRules)
    }

    @Test func textNamesTheRuleAndTheNearestMisses() throws {
        let output = RuleExplainer.explain(
            policy: try Self.policy(), method: "POST", target: "/api/v1//reports/./x/../7/generate/", peer: "10.0.0.2",
            headers: headers(["X-Forwarded-For: 203.0.113.9", "X-Forwarded-User: alice"]), status: 200, format: .text
        )
        let text = output.text
        #expect(output.exitCode == 0)
        #expect(text.contains("normalised: /api/v1/reports/7/generate/\n"))
        #expect(text.contains("matched:    report-generate (line "))
        #expect(text.contains("recorded:   yes, generate_report: \"Generated report 7\" (status 200)\n"))
        #expect(text.contains("client ip:  203.0.113.9 (verified; peer 10.0.0.2, chain 203.0.113.9)\n"))
        #expect(text.contains("user:       alice\n"))
        #expect(text.contains("  report-share: segment 5 is `generate`, the template /api/v1/reports/{report_id}/share/ wants `share`\n"))
    }

    @Test func textExplainsAnExceptionAndAStatus() throws {
        let excepted = RuleExplainer.explain(policy: try Self.policy(), method: "POST", target: "/static/a.css", peer: "1.2.3.4", headers: [], status: 200, format: .text).text
        #expect(excepted.contains("excepted:   static-files: Static assets"))
        #expect(excepted.contains("recorded:   no\n"))
        let failed = RuleExplainer.explain(policy: try Self.policy(), method: "GET", target: "/api/v1/reports/1/download/", peer: "1.2.3.4", headers: [], status: 302, format: .text).text
        #expect(failed.contains("recorded:   no, status 302 is not in 2xx for report-download\n"))
        let methodMiss = RuleExplainer.explain(policy: try Self.policy(), method: "GET", target: "/api/v1/reports/1/generate/", peer: "1.2.3.4", headers: [], status: 200, format: .text).text
        #expect(methodMiss.contains("  report-generate: path matches, but GET is not one of POST\n"))
    }

    @Test func jsonHasTheContractKeys() throws {
        let output = RuleExplainer.explain(
            policy: try Self.policy(), method: "GET", target: "/api/v1/reports/7/download/?format=pdf&token=x", peer: "198.51.100.1",
            headers: headers(["X-Forwarded-For: 1.1.1.1", "X-Forwarded-User: mallory"]), status: 200, format: .json
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as? [String: Any])
        #expect(Set(object.keys).isSuperset(of: ["recorded", "rule_id", "activity_type", "description", "metadata", "client_ip", "ip_verified", "user_id"]))
        #expect(object["recorded"] as? Bool == true)
        #expect(object["rule_id"] as? String == "report-download")
        #expect(object["activity_type"] as? String == "download_report")
        #expect(object["description"] as? String == "Downloaded report 7 as pdf")
        #expect(object["metadata"] as? [String: String] == ["report_id": "7", "query.format": "pdf"])
        #expect(object["client_ip"] as? String == "198.51.100.1")
        #expect(object["ip_verified"] as? Bool == true)
        #expect(object["user_id"] is NSNull)
    }

    @Test func jsonForNoMatch() throws {
        let output = RuleExplainer.explain(policy: try Self.policy(), method: "GET", target: "/nothing", peer: "198.51.100.1", headers: [], status: 200, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as? [String: Any])
        #expect(object["recorded"] as? Bool == false)
        #expect(object["rule_id"] is NSNull)
        #expect(object["description"] is NSNull)
        #expect(object["metadata"] as? [String: String] == [:])
    }

    /// `rules explain --trusted-proxy … --header 'X-Forwarded-For: …'` gives nginx 1.22's
    /// `$remote_addr` (`real_ip_recursive on`) in the cases where it used to differ.
    @Test(arguments: [
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.23 10.0.0.2", "198.51.100.23"),
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.9, 198.51.100.23:0", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.23:65536", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "[2001:db8::1]", "10.0.0.2"),
        (["::ffff:0:0/96"], "::ffff:10.0.0.2", "203.0.113.9", "10.0.0.2"),
        (["::/0"], "::ffff:10.0.0.2", "203.0.113.9", "10.0.0.2"),
        (["::/0"], "2001:db8::5", "203.0.113.9, 198.51.100.7", "198.51.100.7"),
    ])
    func explainFollowsNginx(_ trusted: [String], _ peer: String, _ forwardedFor: String, _ clientIP: String) throws {
        let output = RuleExplainer.run(
            configuration: TrackingConfiguration(), rulesFile: defaultRulesPath, trustedProxies: trusted,
            method: "POST", target: "/api/v1/reports/", peer: peer, headers: ["X-Forwarded-For: \(forwardedFor)"], status: 201, format: .json
        )
        #expect(output.exitCode == 0, "\(output.text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as? [String: Any])
        #expect(object["client_ip"] as? String == clientIP)
    }

    @Test(arguments: [
        ([] as [String], "1.2.3.4", ["X: y"], 0, ""),
        (["10.0.0.0/99"], "1.2.3.4", [], 2, "error: --trusted-proxy 10.0.0.0/99"),
        ([], "nope", [], 2, "error: --peer nope"),
        ([], "1.2.3.4", ["no colon"], 2, "error: --header 'no colon'"),
    ])
    func runValidatesFlags(_ trusted: [String], _ peer: String, _ lines: [String], _ exitCode: Int32, _ prefix: String) {
        let output = RuleExplainer.run(
            configuration: TrackingConfiguration(), rulesFile: defaultRulesPath, trustedProxies: trusted,
            method: "post", target: "/api/v1/reports/", peer: peer, headers: lines, status: 201, format: .text
        )
        #expect(output.exitCode == exitCode)
        #expect(output.text.hasPrefix(prefix))
        if exitCode == 0 { #expect(output.text.contains("matched:    report-create")) }
    }

    @Test func runReportsABrokenRulesFile() {
        let output = RuleExplainer.run(
            configuration: TrackingConfiguration(), rulesFile: "/nonexistent/rules.yaml", trustedProxies: [],
            method: "GET", target: "/", peer: "1.2.3.4", headers: [], status: 200, format: .json
        )
        #expect(output.exitCode == 1)
        #expect(output.text.hasPrefix("/nonexistent/rules.yaml:0:0: error[unreadable]"))
    }
}
