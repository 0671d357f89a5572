import Testing
@testable import ActivityRules

/// The method index and its segment trie against the rules' meaning, stated the slow way: an exact
/// path first (the first in file order), then the strongest template whose `captures` match (rank,
/// then file order), then the first regex that matches; and the winner's captures as the full
/// match makes them (the index reads them without comparing the literals again). Every path over a small vocabulary, on a
/// node with more literal children than `MethodIndex.Node.linearLiteralLimit` (found by
/// dictionary) and on nodes with fewer (found by comparing in turn).
@Suite struct TrieDifferentialTests {
    static let wide = (0..<(MethodIndex.Node.linearLiteralLimit + 4)).map { "l\($0)" }

    static let yaml: String = {
        var lines = ["version: 1", "rules:"]
        func rule(_ id: String, _ methods: String, _ match: String) {
            lines.append("  - {id: \(id), description: d., activity: a, match: {methods: [\(methods)], \(match)}}")
        }
        for literal in wide { rule("wide-\(literal)", "GET", "path: \"/w/\(literal)/{x}\"") }
        rule("wide-int", "GET", "path: \"/w/{y:int}/z\"")
        rule("wide-exact", "GET", "path: /w/l3/exact")
        rule("narrow-a", "GET, POST", "path: \"/v/a/{x}\"")
        rule("narrow-b", "GET", "path: \"/v/b/{x}/\"")
        rule("narrow-star", "GET", "path: /v/*/c/x")
        rule("narrow-rest", "GET", "path: \"/v/**\"")
        rule("slug", "POST", "path: \"/v/{s:slug}/l1\"")
        rule("regex", "GET", "regex: '^/w/(?P<n>[0-9]+)/[a-z0-9]+$'")
        return lines.joined(separator: "\n") + "\n"
    }()

    /// The winner the slow way, by the rules' meaning, with its captures as `name=value`.
    static func reference(_ ruleSet: RuleSet, method: String, path: String) -> String? {
        guard let id = referenceRule(ruleSet, method: method, path: path),
              let rule = ruleSet.rules.first(where: { $0.id == id }),
              let captures = rule.captures(path: path, segments: PathSegments(path))
        else { return nil }
        return describe(id, captures)
    }

    static func describe(_ id: String, _ captures: [(name: String, value: String)]) -> String {
        ([id] + captures.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
    }

    static func referenceRule(_ ruleSet: RuleSet, method: String, path: String) -> String? {
        let segments = PathSegments(path)
        let candidates = ruleSet.rules.enumerated().filter { $0.element.enabled && $0.element.methods.contains(method) }
        if let exact = candidates.first(where: {
            if case let .template(template) = $0.element.pattern { return template.isExact && template.description == path }
            return false
        }) { return exact.element.id }
        let templates = candidates.filter {
            if case let .template(template) = $0.element.pattern { return !template.isExact && $0.element.captures(path: path, segments: segments) != nil }
            return false
        }
        if let strongest = templates.min(by: { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }) { return strongest.element.id }
        return candidates.first {
            if case .regex = $0.element.pattern { return $0.element.captures(path: path, segments: segments) != nil }
            return false
        }?.element.id
    }

    @Test func theIndexAgreesWithTheRulesMeaningOnEveryPath() throws {
        let ruleSet = try rules(Self.yaml)
        let vocabulary = ["w", "v", "a", "b", "c", "z", "7", "exact", "l1", "l3"] + Self.wide.suffix(3)
        var paths = ["/"]
        for first in vocabulary {
            paths.append("/\(first)")
            for second in vocabulary {
                paths.append("/\(first)/\(second)")
                for third in vocabulary {
                    paths.append("/\(first)/\(second)/\(third)")
                    paths.append("/\(first)/\(second)/\(third)/")
                    paths.append("/\(first)/\(second)/\(third)/x")
                }
            }
        }
        var matched = 0
        for method in ["GET", "POST", "PUT"] {
            for path in paths {
                let expected = Self.reference(ruleSet, method: method, path: path)
                let found = ruleSet.match(method: method, target: path).map { Self.describe($0.ruleID, $0.captures) }
                #expect(found == expected, "\(method) \(path)")
                if expected != nil { matched += 1 }
            }
        }
        // The vocabulary reaches every rule, so the comparison is not between two nils.
        #expect(matched > 500)
        let winners = Set(paths.flatMap { path in ["GET", "POST"].compactMap { ruleSet.match(method: $0, target: path)?.ruleID } })
        let reachable: Set = [
            "wide-l1", "wide-l3", "wide-l\(Self.wide.count - 1)", "wide-int", "wide-exact",
            "narrow-a", "narrow-b", "narrow-star", "narrow-rest", "slug", "regex",
        ]
        #expect(winners.isSuperset(of: reachable), "never won: \(reachable.subtracting(winners).sorted())")
    }

    /// A literal child is found by canonical equivalence either way, as the dictionary alone did:
    /// "é" precomposed in the rule matches "e" and a combining acute in the request.
    @Test(arguments: [2, MethodIndex.Node.linearLiteralLimit + 2])
    func literalChildrenMatchByCanonicalEquivalence(siblings: Int) throws {
        let ruleSet = try rulesWithSiblings(id: "accent", path: "/caf\u{E9}/{x}", siblings: siblings)
        #expect(ruleSet.match(method: "GET", target: "/caf\u{E9}/1")?.ruleID == "accent")
        #expect(ruleSet.match(method: "GET", target: "/cafe\u{301}/1")?.ruleID == "accent")
        #expect(ruleSet.match(method: "GET", target: "/s1/1")?.ruleID == "s1")
        #expect(ruleSet.match(method: "GET", target: "/cafe/1") == nil)
    }

    /// A literal that is ASCII matches a segment that is not, when the two are canonically
    /// equivalent ("K" and U+212A KELVIN SIGN), as `String`'s `==` and the dictionary say: the
    /// trie compares bytes first, and must not take different bytes for different strings then.
    @Test(arguments: [2, MethodIndex.Node.linearLiteralLimit + 2])
    func anASCIILiteralMatchesItsCanonicalEquivalent(siblings: Int) throws {
        let ruleSet = try rulesWithSiblings(id: "kelvin", path: "/K/{x}", siblings: siblings)
        #expect("K" == "\u{212A}")
        #expect(ruleSet.match(method: "GET", target: "/K/1")?.ruleID == "kelvin")
        #expect(ruleSet.match(method: "GET", target: "/\u{212A}/1")?.ruleID == "kelvin")
        #expect(ruleSet.match(method: "GET", target: "/\u{212A}/1")?.captures.first?.value == "1")
        #expect(ruleSet.match(method: "GET", target: "/k/1") == nil)
    }

    /// `PathTemplate.matches`, which walks the path's bytes (exceptions use it), against `match`
    /// over `PathSegments`, on paths with repeated, leading and trailing slashes too (a normalised
    /// path has none; both split as `PathBytes` does, which `NormalisationTests.pathSegments` pins).
    @Test func theByteWalkAgreesWithTheSegmentsOnEveryPath() throws {
        let templates = try [
            "/", "/a", "/a/", "/a/{x}", "/a/{x}/", "/a/{x:int}/b", "/*/b/", "/a/**", "/**", "/a/*/**", "/{s:slug}/{u:uuid}",
            "/caf\u{E9}/{x}", "/K/", "/a/b/c/d",
        ].map { try PathTemplate(parsing: $0) }
        let vocabulary = ["a", "b", "7", "x-y", "caf\u{E9}", "cafe\u{301}", "\u{212A}", "K", "123e4567-e89b-12d3-a456-426614174000", ""]
        var paths = ["/", "//", ""]
        for first in vocabulary {
            for second in vocabulary {
                paths.append("/\(first)/\(second)")
                paths.append("/\(first)//\(second)/")
                for third in ["", "b", "c/d", "c/d/"] { paths.append("/\(first)/\(second)/\(third)") }
            }
        }
        var matched = 0
        for template in templates {
            for path in paths {
                let expected = template.match(PathSegments(path)) != nil
                #expect(PathBytes.with(path) { template.matches($0) } == expected, "\(template) \(path)")
                if expected { matched += 1 }
            }
        }
        #expect(matched > 100)
    }

    /// A template exception excludes what its template matches, whatever the spelling of an
    /// equivalent segment, and a method it does not name is not excluded.
    @Test func aTemplateExceptionCoversCanonicalEquivalentsOfItsMethodsOnly() throws {
        let ruleSet = try rules("""
            version: 1
            exceptions:
              - {id: kelvins, reason: r., match: {methods: [POST], path: "/K/{x:int}/"}}
            rules:
              - {id: any, description: d., activity: a, match: {methods: [GET, POST], path: "/{a}/{b}/"}}
            """)
        #expect(ruleSet.exception(method: "POST", path: "/\u{212A}/7/")?.id == "kelvins")
        #expect(ruleSet.exception(method: "POST", path: "/K/7/")?.id == "kelvins")
        #expect(ruleSet.exception(method: "GET", path: "/K/7/") == nil)
        #expect(ruleSet.exception(method: "POST", path: "/K/seven/") == nil)
        #expect(ruleSet.exception(method: "POST", path: "/K/7") == nil)
        guard case .excluded(let exception) = ruleSet.decide(method: "POST", target: "/%E2%84%AA/7/") else {
            Issue.record("not excluded")
            return
        }
        #expect(exception.id == "kelvins")
    }

    /// A rule `id` on `GET path` and `siblings` more rules `/s<n>/{x}` beside it: enough siblings
    /// turn the trie node's literal children from a linear list into a dictionary.
    private func rulesWithSiblings(id: String, path: String, siblings: Int) throws -> RuleSet {
        var yaml = "version: 1\nrules:\n  - {id: \(id), description: d., activity: a, match: {methods: [GET], path: \"\(path)\"}}\n"
        for sibling in 0..<siblings {
            yaml += "  - {id: s\(sibling), description: d., activity: a, match: {methods: [GET], path: \"/s\(sibling)/{x}\"}}\n"
        }
        return try rules(yaml)
    }
}
