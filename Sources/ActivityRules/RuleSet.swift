import ConfigValues
import Crypto
import Foundation

/// A compiled, immutable rules file: decides which requests become activities.
///
/// `RuleSet` is immutable and `Sendable`; `match` is a pure synchronous call, safe on any thread and
/// cheap enough for an event loop (a dictionary lookup for exact paths, a segment trie for
/// templates, regexes last with a literal-prefix pre-check). A reload builds a new one and swaps
/// it whole. A final class rather than a struct: the request path takes it on every request, and
/// a struct of this size was copied field by field each time.
public final class RuleSet: Sendable {
    /// The file name given to the loader.
    public let file: String
    /// Lower-case hex SHA-256 of the file content; identifies the active rules in metrics and logs.
    public let hash: String
    /// Every rule in file order, enabled or not, without the catch-all.
    public let rules: [Rule]
    /// The catch-all for other successful mutations, if the file has one.
    public let catchAll: Rule?
    /// Named exclusions, checked before any rule.
    public let exceptions: [RuleException]
    /// Named lists from the `lists:` section.
    public let lists: [NamedList]
    /// Names of lists referenced somewhere in the file.
    let usedLists: Set<String>
    let index: MethodIndexes

    /// The number of rules, counting the catch-all.
    public var count: Int { rules.count + (catchAll == nil ? 0 : 1) }

    /// Loads and compiles a rules file; blocking file I/O, so call it off the event loop.
    public static func load(path: String) throws(RulesError) -> RuleSet {
        try RuleSet(yaml: read(path: path), file: path)
    }

    /// Reads a rules file's text; blocking file I/O, so call it off the event loop.
    /// At most `BoundedTextFile.largestRulesFile` bytes of a regular file are read.
    public static func read(path: String) throws(RulesError) -> String {
        do {
            return try BoundedTextFile.read(path: path, maxBytes: BoundedTextFile.largestRulesFile)
        } catch {
            throw RulesError(file: path, code: "unreadable", message: "The rules file \(error.describe(kind: "rules file")).")
        }
    }

    /// Compiles rules from YAML text; `file` names the source in errors.
    public init(yaml: String, file: String) throws(RulesError) {
        let source = SourceText(file: file, text: yaml)
        var parser = RuleSetParser(source: source)
        let output = try parser.parse()
        self.file = file
        hash = SHA256.hash(data: Array(yaml.utf8)).map { String(format: "%02x", $0) }.joined()
        rules = output.rules
        catchAll = output.catchAll
        exceptions = output.exceptions
        lists = output.lists
        usedLists = output.usedLists
        try Self.checkIDs(rules + (catchAll.map { [$0] } ?? []), source)
        try Self.checkConflicts(rules, source)
        index = MethodIndexes(rules)
    }

    static func checkIDs(_ rules: [Rule], _ source: SourceText) throws(RulesError) {
        var seen: [String: Rule] = [:]
        for rule in rules {
            if let first = seen[rule.id] {
                throw source.error("duplicate-id", at: rule.location, rule: rule.id, "The rule id `\(rule.id)` is already used at line \(first.location.line); ids must be unique.")
            }
            seen[rule.id] = rule
        }
    }

    /// Two enabled rules of equal rank that can match one request are an error, never first-wins.
    static func checkConflicts(_ rules: [Rule], _ source: SourceText) throws(RulesError) {
        var groups: [RuleRank: [Rule]] = [:]
        for rule in rules where rule.enabled && rule.rank.tier < 2 { groups[rule.rank, default: []].append(rule) }
        for rule in rules where rule.enabled && rule.rank.tier < 2 {
            for other in groups[rule.rank] ?? [] where other.order < rule.order {
                guard !Set(rule.methods).isDisjoint(with: other.methods),
                      case let .template(a) = rule.pattern, case let .template(b) = other.pattern,
                      a.overlaps(b) else { continue }
                let shared = Set(rule.methods).intersection(other.methods).sorted().joined(separator: ", ")
                throw source.error(
                    "rank-conflict", at: rule.location, rule: rule.id,
                    "`\(rule.id)` and `\(other.id)` (line \(other.location.line)) can both match \(shared) requests with equal precedence; make one path more specific (a literal segment or a constraint) or narrow the methods."
                )
            }
        }
    }

    /// The rule for a request, or nil when nothing is recorded (`decide` says why).
    ///
    /// `target` is the raw request-target (path and optional `?query`); it is normalised first.
    /// Exceptions apply to every rule, the catch-all included. The status is checked later
    /// (`RuleMatch.records(status:)`), after the upstream answered.
    public func match(method: String, target: String) -> RuleMatch? {
        if case .recorded(let match) = decide(method: method, target: target) { return match }
        return nil
    }

    /// What the rules make of a request: the rule that records it, the exception that excluded a
    /// request a rule matched (so the proxy counts exclusions without matching twice), or nothing.
    public func decide(method: String, target: String) -> RuleDecision {
        let indexed = index.position(of: method)
        if indexed == nil, catchAll?.enabled != true { return .unmatched }
        let request = RequestTarget(target)
        var found: (Rule, [(name: String, value: String)]?)?
        if let indexed { found = index.best(at: indexed, path: request.path, rules: rules) }
        guard let (rule, captures) = found ?? catchAllMatch(method) else { return .unmatched }
        if let excluding = exception(method: method, path: request.path) { return .excluded(by: excluding) }
        return .recorded(RuleMatch(rule: rule, method: method, target: request, captures: captures))
    }

    func catchAllMatch(_ method: String) -> (Rule, [(name: String, value: String)]?)? {
        guard let catchAll, catchAll.enabled, catchAll.methods.contains(method) else { return nil }
        return (catchAll, [])
    }

    /// The first exception covering a request, if any.
    func exception(method: String, path: String) -> RuleException? {
        exceptions.first { $0.covers(method: method, path: path) }
    }
}

/// What `RuleSet.decide` made of a request.
public enum RuleDecision: Sendable {
    /// A rule matched and no exception covers the request.
    case recorded(RuleMatch)
    /// A rule matched, but this exception excludes the request.
    case excluded(by: RuleException)
    /// No rule matched.
    case unmatched
}
