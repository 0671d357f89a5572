import ConfigValues
import Foundation

/// Runs rules test files: prints `PASS`/`FAIL` per case (a failure with a `-` expected / `+` actual
/// diff), then `N passed, M failed`. Exit code 1 on any failure or load error.
public enum RuleTestRunner {
    /// Runs every file; files are read from disk (blocking).
    public static func run(files: [String]) -> ToolOutput {
        var lines: [String] = []
        var passed = 0, failed = 0, broken = false
        for file in files {
            let text: String
            do {
                text = try BoundedTextFile.read(path: file, maxBytes: BoundedTextFile.largestRulesFile)
            } catch {
                lines.append("\(file): error[unreadable]: The test file \(error.describe(kind: "rules test file")).")
                broken = true
                continue
            }
            do {
                let result = try run(path: file, text: text)
                lines += result.lines
                passed += result.passed
                failed += result.failed
            } catch {
                lines.append(error.rendered)
                broken = true
            }
        }
        lines.append("\(passed) passed, \(failed) failed")
        return ToolOutput(text: lines.joined(separator: "\n") + "\n", exitCode: failed > 0 || broken ? 1 : 0)
    }

    /// Runs one test file given as text; its `rules:` file is loaded from disk relative to `path`.
    public static func run(path: String, text: String) throws(RulesError) -> (lines: [String], passed: Int, failed: Int) {
        let file = try RuleTestFile(path: path, text: text)
        let rules = try RuleSet.load(path: file.rulesPath)
        let policy = try TrackingPolicy(configuration: file.configuration, tokenReaders: IgnoredBearerToken.factory, rules: rules)
        var lines: [String] = []
        var passed = 0, failed = 0
        for testCase in file.cases {
            let diff = check(testCase, policy: policy)
            if diff.isEmpty {
                lines.append("PASS \(testCase.name)")
                passed += 1
            } else {
                lines.append("FAIL \(path):\(testCase.location.line): \(testCase.name)")
                lines += diff
                failed += 1
            }
        }
        return (lines, passed, failed)
    }

    /// The diff lines for one case; empty when it passes.
    static func check(_ testCase: RuleTestFile.Case, policy: TrackingPolicy) -> [String] {
        let request = testCase.request
        let match = policy.rules.match(method: request.method, target: request.url)
        let activity = match.flatMap { policy.activity(for: $0, peer: request.peer, requestHeaders: request.headers, status: request.status) }
        guard testCase.expect.recorded else {
            guard let activity else { return [] }
            return ["  - recorded: none", "  + recorded: \(activity.activityType) (rule \(activity.ruleID))"]
        }
        guard let activity else {
            let why = match == nil ? "no rule matched" : "rule \(match!.ruleID) does not record status \(request.status)"
            return ["  - recorded: yes", "  + recorded: none (\(why))"]
        }
        var diff: [String] = []
        for (key, expected) in testCase.expect.fields {
            let actual = ExplainField.value(key, activity)
            if actual != expected { diff += ["  - \(key): \(expected)", "  + \(key): \(actual)"] }
        }
        if let expected = testCase.expect.metadata, expected != activity.metadata {
            diff += ["  - metadata: \(render(expected))", "  + metadata: \(render(activity.metadata))"]
        }
        return diff
    }

    static func render(_ metadata: [String: String]) -> String {
        "{" + metadata.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    }
}

/// The activity fields named the same in tests and in `rules explain`.
enum ExplainField {
    static func value(_ key: String, _ activity: Activity) -> String {
        switch key {
        case "rule": activity.ruleID
        case "activity": activity.activityType
        case "description": activity.description
        case "client_ip": activity.clientIP
        case "ip_verified": String(activity.ipVerified)
        case "user_id": activity.userID ?? "null"
        default: "?"
        }
    }
}
