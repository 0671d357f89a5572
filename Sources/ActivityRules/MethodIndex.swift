/// Each method's `MethodIndex`, found by comparing the request's method with each in turn.
///
/// A rules file names a handful of methods, and comparing two short strings costs less than
/// hashing one; a dictionary of `MethodIndex` values also copied the index out on every lookup,
/// retaining and releasing its four collections (`tracking-bench`, 2026-12-03).
struct MethodIndexes: Sendable {
    /// One entry per method some enabled rule names, sorted by method.
    private let entries: [(method: String, index: MethodIndex)]

    init(_ rules: [Rule]) {
        entries = MethodIndex.build(rules).sorted { $0.key < $1.key }.map { (method: $0.key, index: $0.value) }
    }

    /// Where `method`'s index is, or nil when no enabled rule names the method.
    func position(of method: String) -> Int? {
        for position in entries.indices where entries[position].method == method { return position }
        return nil
    }

    /// The strongest rule of the method at `position` matching `path`, with its captures.
    func best(at position: Int, path: String, segments: PathSegments, rules: [Rule]) -> (Rule, [(name: String, value: String)])? {
        entries[position].index.best(path: path, segments: segments, rules: rules)
    }

    /// The strongest rule of `method` matching `path`, with its captures.
    func best(method: String, path: String, segments: PathSegments, rules: [Rule]) -> (Rule, [(name: String, value: String)])? {
        position(of: method).flatMap { best(at: $0, path: path, segments: segments, rules: rules) }
    }
}

/// The rules of one HTTP method, arranged so that a lookup does not scan every rule.
///
/// Exact paths are a dictionary lookup; templates live in a segment trie (literal children
/// compared in turn, or by dictionary past `Node.linearLiteralLimit`; parameters and `*` beside
/// them; `**` rules on the node where they start); regexes are tried last, in file order, after a
/// literal-prefix check.
struct MethodIndex: Sendable {
    struct Node: Sendable {
        /// Up to this many literal children are found by comparing the segment with each: cheaper
        /// than hashing it (and making a `String` of it) for the few children a node has.
        static let linearLiteralLimit = 8
        /// Literal children by text; the same as `literalList`, which is what a lookup reads while
        /// it holds at most `linearLiteralLimit` entries.
        var literals: [String: Int] = [:]
        /// Literal children in the order they were added.
        var literalList: [(text: String, node: Int)] = []
        var parameters: [(constraint: SegmentConstraint, node: Int)] = []
        var star: Int?
        /// Rules whose template ends at this node (index into `RuleSet.rules`).
        var terminal: [Int] = []
        /// Rules whose template ends with `**` at this node.
        var doubleStar: [Int] = []
    }

    var exact: [String: Int] = [:]
    var nodes: [Node] = [Node()]
    var regexes: [Int] = []
    var ranks: [RuleRank] = []

    static func build(_ rules: [Rule]) -> [String: MethodIndex] {
        var result: [String: MethodIndex] = [:]
        let ranks = rules.map(\.rank)
        for (position, rule) in rules.enumerated() where rule.enabled {
            for method in rule.methods { result[method, default: MethodIndex(ranks: ranks)].insert(rule, at: position) }
        }
        return result
    }

    init(ranks: [RuleRank]) {
        self.ranks = ranks
    }

    mutating func insert(_ rule: Rule, at position: Int) {
        switch rule.pattern {
        case .regex: regexes.append(position)
        case let .template(template) where template.isExact:
            exact[template.description] = exact[template.description] ?? position
        case let .template(template):
            var node = 0
            for segment in template.segments {
                switch segment {
                case let .literal(text):
                    if let next = nodes[node].literals[text] { node = next } else {
                        nodes.append(Node())
                        nodes[node].literals[text] = nodes.count - 1
                        nodes[node].literalList.append((text, nodes.count - 1))
                        node = nodes.count - 1
                    }
                case let .parameter(_, constraint):
                    if let next = nodes[node].parameters.first(where: { $0.constraint == constraint })?.node { node = next } else {
                        nodes.append(Node())
                        nodes[node].parameters.append((constraint, nodes.count - 1))
                        node = nodes.count - 1
                    }
                case .star:
                    if let next = nodes[node].star { node = next } else {
                        nodes.append(Node())
                        nodes[node].star = nodes.count - 1
                        node = nodes.count - 1
                    }
                case .doubleStar:
                    nodes[node].doubleStar.append(position)
                    return
                }
            }
            nodes[node].terminal.append(position)
        }
    }

    /// The strongest rule matching `path`, with its captures.
    func best(path: String, segments: PathSegments, rules: [Rule]) -> (Rule, [(name: String, value: String)])? {
        if let position = exact[path] { return (rules[position], []) }
        var best: Int?
        visit(0, depth: 0, segments: segments, rules: rules, best: &best)
        if let best, case let .template(template) = rules[best].pattern, let captures = template.captures(ofMatching: segments) {
            return (rules[best], captures)
        }
        for position in regexes {
            if let captures = rules[position].captures(path: path, segments: segments) { return (rules[position], captures) }
        }
        return nil
    }

    private func consider(_ position: Int, _ best: inout Int?) {
        if let current = best, ranks[current] < ranks[position] || (ranks[current] == ranks[position] && current < position) { return }
        best = position
    }

    private func visit(_ index: Int, depth: Int, segments: PathSegments, rules: [Rule], best: inout Int?) {
        // Fields are read through `nodes[index]` rather than a local copy of the node: copying it
        // retains and releases its four collections on every visit.
        for position in nodes[index].doubleStar { consider(position, &best) }
        if depth == segments.segments.count {
            for position in nodes[index].terminal {
                if case let .template(template) = rules[position].pattern, template.trailingSlash == segments.trailingSlash {
                    consider(position, &best)
                }
            }
            return
        }
        let segment = segments.segments[depth]
        if let next = literalChild(of: index, segment) { visit(next, depth: depth + 1, segments: segments, rules: rules, best: &best) }
        for parameter in nodes[index].parameters where parameter.constraint.accepts(segment) {
            visit(parameter.node, depth: depth + 1, segments: segments, rules: rules, best: &best)
        }
        if let star = nodes[index].star { visit(star, depth: depth + 1, segments: segments, rules: rules, best: &best) }
    }

    /// The literal child of node `index` for `segment`. `==` and the dictionary's hashing both
    /// compare strings by canonical equivalence, so the two ways find the same child.
    private func literalChild(of index: Int, _ segment: Substring) -> Int? {
        guard nodes[index].literalList.count <= Node.linearLiteralLimit else { return nodes[index].literals[String(segment)] }
        for entry in nodes[index].literalList where entry.text == segment { return entry.node }
        return nil
    }
}

extension PathTemplate {
    /// Whether some normalised path matches both templates.
    func overlaps(_ other: PathTemplate) -> Bool {
        let a = segments, b = other.segments
        let aOpen = hasDoubleStar, bOpen = other.hasDoubleStar
        let aFixed = aOpen ? a.count - 1 : a.count
        let bFixed = bOpen ? b.count - 1 : b.count
        if !aOpen, !bOpen, aFixed != bFixed || trailingSlash != other.trailingSlash { return false }
        if !aOpen, bOpen, aFixed < bFixed { return false }
        if aOpen, !bOpen, bFixed < aFixed { return false }
        for index in 0..<min(aFixed, bFixed) where !Self.compatible(a[index], b[index]) { return false }
        return true
    }

    static func compatible(_ a: Segment, _ b: Segment) -> Bool {
        switch (a, b) {
        case (.star, _), (_, .star), (.doubleStar, _), (_, .doubleStar): true
        case let (.literal(x), .literal(y)): x == y
        case let (.literal(x), .parameter(_, c)), let (.parameter(_, c), .literal(x)): c.accepts(Substring(x))
        case let (.parameter(_, c), .parameter(_, d)): c.overlaps(d)
        }
    }
}
