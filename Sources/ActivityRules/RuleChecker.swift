import ConfigValues
import Foundation

/// A warning about a rules file that loads but probably does not do what the reviewer meant.
public struct RulesWarning: Sendable, Equatable {
    /// Stable kebab-case code: `unused-list`, `disabled-rule`, `unreachable-rule`, `shadowed-rule`, `untested-rule`.
    public var code: String
    /// The rule or list concerned.
    public var subject: String
    /// Where it is.
    public var location: SourceLocation
    /// What is wrong and what to do.
    public var message: String
}

/// `rules check`: loads each file, prints errors as `file:line:col: error[code]: sentence` with the
/// line and a caret, and warnings the same way; exit 1 on any error (warnings alone exit 0).
public enum RuleChecker {
    /// Checks every file (blocking reads).
    public static func check(files: [String]) -> ToolOutput {
        var lines: [String] = []
        var errors = 0, warnings = 0
        for file in files {
            let text: String
            do {
                text = try BoundedTextFile.read(path: file, maxBytes: BoundedTextFile.largestRulesFile)
            } catch {
                lines.append("\(file):0:0: error[unreadable]: The rules file \(error.describe(kind: "rules file")).")
                errors += 1
                continue
            }
            do {
                let ruleSet = try RuleSet(yaml: text, file: file)
                let source = SourceText(file: file, text: text)
                let found = self.warnings(ruleSet, testedRuleIDs: testedRuleIDs(besides: file, ruleSet: ruleSet))
                for warning in found {
                    lines.append("\(file):\(warning.location.line):\(warning.location.column): warning[\(warning.code)]: \(warning.message)")
                    if let snippet = source.snippet(at: warning.location) { lines.append(snippet) }
                }
                warnings += found.count
                lines.append("\(file): \(ruleSet.count) rules, hash \(ruleSet.hash.prefix(12))")
            } catch {
                lines.append(error.rendered)
                errors += 1
            }
        }
        lines.append("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        return ToolOutput(text: lines.joined(separator: "\n") + "\n", exitCode: errors > 0 ? 1 : 0)
    }

    /// The rule ids exercised by `NAME.test.yaml` beside `NAME.yaml`, or nil when there is none.
    public static func testedRuleIDs(besides file: String, ruleSet: RuleSet) -> Set<String>? {
        guard file.hasSuffix(".yaml"), !file.hasSuffix(".test.yaml") else { return nil }
        let testPath = String(file.dropLast(5)) + ".test.yaml"
        guard let text = try? BoundedTextFile.read(path: testPath, maxBytes: BoundedTextFile.largestRulesFile),
              let tests = try? RuleTestFile(path: testPath, text: text) else { return nil }
        var ids = Set<String>()
        for testCase in tests.cases {
            if let match = ruleSet.match(method: testCase.request.method, target: testCase.request.url) { ids.insert(match.ruleID) }
        }
        return ids
    }

    /// Warnings for a loaded rule set; `testedRuleIDs` nil skips the untested-rule check.
    public static func warnings(_ ruleSet: RuleSet, testedRuleIDs: Set<String>? = nil) -> [RulesWarning] {
        var result: [RulesWarning] = []
        for list in ruleSet.lists where !ruleSet.usedLists.contains(list.name) {
            result.append(.init(code: "unused-list", subject: list.name, location: list.location, message: "The list `\(list.name)` is never used; delete it or refer to it by name."))
        }
        let all = ruleSet.rules + (ruleSet.catchAll.map { [$0] } ?? [])
        for rule in all {
            if !rule.enabled {
                result.append(.init(code: "disabled-rule", subject: rule.id, location: rule.location, message: "The rule `\(rule.id)` is disabled and never matches; delete it or set `enabled: true`."))
                continue
            }
            if rule.recordStatus.ranges.isEmpty {
                result.append(.init(code: "unreachable-rule", subject: rule.id, location: rule.location, message: "The rule `\(rule.id)` records no status; list some under `record_status` or delete the rule."))
                continue
            }
            if let exception = ruleSet.exceptions.first(where: { covers($0, rule) }) {
                result.append(.init(code: "unreachable-rule", subject: rule.id, location: rule.location, message: "Every request `\(rule.id)` matches is excepted by `\(exception.id)`; narrow the exception or delete the rule."))
                continue
            }
            if let winner = ruleSet.rules.first(where: { shadows($0, rule) }) {
                result.append(.init(code: "shadowed-rule", subject: rule.id, location: rule.location, message: "`\(winner.id)` (line \(winner.location.line)) takes precedence over every request `\(rule.id)` matches; delete one or make `\(winner.id)` narrower."))
                continue
            }
            if let tested = testedRuleIDs, !tested.contains(rule.id) {
                result.append(.init(code: "untested-rule", subject: rule.id, location: rule.location, message: "No case in the test file beside this one reaches `\(rule.id)`; add one so a change to it is caught."))
            }
        }
        return result
    }

    /// Whether `exception` covers every request `rule` could match.
    static func covers(_ exception: RuleException, _ rule: Rule) -> Bool {
        if let methods = exception.methods, !methods.isSuperset(of: rule.methods) { return false }
        guard case let .template(template) = rule.pattern, !rule.isCatchAll else { return false }
        switch exception.pattern {
        case let .prefixes(prefixes):
            let literal = template.literalPrefix
            return prefixes.contains { literal.hasPrefix($0) }
        case let .template(outer): return outer.covers(template)
        case .regex: return false
        }
    }

    /// Whether `winner` beats `rule` on every request `rule` matches.
    static func shadows(_ winner: Rule, _ rule: Rule) -> Bool {
        guard winner.id != rule.id, winner.enabled, !rule.isCatchAll, Set(winner.methods).isSuperset(of: rule.methods) else { return false }
        switch (winner.pattern, rule.pattern) {
        case let (.template(outer), .template(inner)): return winner.rank < rule.rank && outer.covers(inner)
        case let (.regex(outer), .regex(inner)): return winner.order < rule.order && outer.description == inner.description
        case let (.template(outer), .regex(inner)):
            guard let bytes = inner.fixedPath else { return false }
            return outer.match(PathSegments(bytes)) != nil
        case (.regex, .template): return false
        }
    }
}

extension PathTemplate {
    /// The path text up to the first non-literal segment, e.g. `/api/v1/reports/`.
    var literalPrefix: String {
        var text = "/"
        for (index, segment) in segments.enumerated() {
            guard case let .literal(literal) = segment else { return text }
            text += literal
            if index < segments.count - 1 || trailingSlash { text += "/" }
        }
        return text
    }

    /// Whether every path `inner` matches is also matched by this template.
    func covers(_ inner: PathTemplate) -> Bool {
        let outer = segments
        let outerFixed = hasDoubleStar ? outer.count - 1 : outer.count
        if !hasDoubleStar {
            guard !inner.hasDoubleStar, inner.segments.count == outer.count, inner.trailingSlash == trailingSlash else { return false }
        } else {
            let innerFixed = inner.hasDoubleStar ? inner.segments.count - 1 : inner.segments.count
            guard innerFixed >= outerFixed else { return false }
        }
        for index in 0..<outerFixed {
            switch (outer[index], inner.segments[index]) {
            case (.star, _): continue
            case let (.literal(a), .literal(b)) where a == b: continue
            case let (.parameter(_, c), .literal(b)) where c.accepts(Substring(b)): continue
            case let (.parameter(_, c), .parameter(_, d)) where c == d || c == .any: continue
            case (.parameter(_, .any), .star): continue
            default: return false
            }
        }
        return true
    }
}

extension SafeRegex {
    /// The single path this regex matches, when it is a plain literal.
    var fixedPath: String? {
        var parser = RegexParser(bytes: Array(description.utf8))
        guard let tree = try? parser.parseAll(), let bytes = tree.fixedBytes else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
