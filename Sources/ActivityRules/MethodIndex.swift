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

    /// The strongest rule of the method at `position` matching `path`, with its captures (nil:
    /// a template's, for `RuleMatch` to read from the path when asked).
    func best(at position: Int, path: String, rules: [Rule]) -> (Rule, [(name: String, value: String)]?)? {
        entries[position].index.best(path: path, rules: rules)
    }

    /// The strongest rule of `method` matching `path`, with its captures as `best(at:)` gives them.
    func best(method: String, path: String, rules: [Rule]) -> (Rule, [(name: String, value: String)]?)? {
        position(of: method).flatMap { best(at: $0, path: path, rules: rules) }
    }
}

/// The rules of one HTTP method, arranged so that a lookup does not scan every rule.
///
/// Exact paths are a dictionary lookup; templates live in a segment trie (literal children
/// compared in turn, or by dictionary past `Node.linearLiteralLimit`; parameters and `*` beside
/// them; `**` rules on the node where they start); regexes are tried last, in file order, after a
/// literal-prefix check. The trie walks the path's bytes (`PathBytes`) and makes no captures: a
/// lookup on the event loop allocates nothing.
struct MethodIndex: Sendable {
    struct Node: Sendable {
        /// Up to this many literal children are found by comparing the segment with each: cheaper
        /// than hashing it (and making a `String` of it) for the few children a node has.
        static let linearLiteralLimit = 8
        /// Literal children by text; the same as `literalList`, which is what a lookup reads while
        /// it holds at most `linearLiteralLimit` entries.
        var literals: [String: Int] = [:]
        /// Literal children in the order they were added. No two are equal strings (the
        /// dictionary, which compares by canonical equivalence, found the first), so at most one
        /// matches a segment.
        var literalList: [(literal: SegmentLiteral, node: Int)] = []
        var parameters: [(constraint: SegmentConstraint, node: Int)] = []
        var star: Int?
        /// Rules whose template ends at this node (index into `RuleSet.rules`), with whether the
        /// template ends with `/` (read here rather than from the rule: one load less per visit).
        var terminal: [(position: Int, trailingSlash: Bool)] = []
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
                        nodes[node].literalList.append((SegmentLiteral(text), nodes.count - 1))
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
            nodes[node].terminal.append((position, template.trailingSlash))
        }
    }

    /// The strongest rule matching `path`, with a regex's captures (nil for a template: the trie
    /// compared every literal and checked every constraint, and `RuleMatch` reads the parameters
    /// from the path when asked, off the event loop).
    func best(path: String, rules: [Rule]) -> (Rule, [(name: String, value: String)]?)? {
        if let position = exact[path] { return (rules[position], []) }
        let found = PathBytes.with(path) { bytes in
            var best: Int?
            visit(0, from: 0, path: bytes, best: &best)
            return best
        }
        if let found { return (rules[found], nil) }
        for position in regexes {
            if case let .regex(regex) = rules[position].pattern, let captures = regex.match(path) { return (rules[position], captures) }
        }
        return nil
    }

    private func consider(_ position: Int, _ best: inout Int?) {
        if let current = best, ranks[current] < ranks[position] || (ranks[current] == ranks[position] && current < position) { return }
        best = position
    }

    /// Visits node `index` with the path's segments from byte `offset` on.
    private func visit(_ index: Int, from offset: Int, path: PathBytes, best: inout Int?) {
        // Fields are read through `nodes[index]` rather than a local copy of the node: copying it
        // retains and releases its collections on every visit.
        for position in nodes[index].doubleStar { consider(position, &best) }
        guard let segment = path.segment(from: offset) else {
            for terminal in nodes[index].terminal where terminal.trailingSlash == path.trailingSlash {
                consider(terminal.position, &best)
            }
            return
        }
        let bytes = path.slice(segment)
        if let next = literalChild(of: index, bytes) { visit(next, from: segment.upperBound, path: path, best: &best) }
        for parameter in nodes[index].parameters where parameter.constraint.accepts(bytes: bytes) {
            visit(parameter.node, from: segment.upperBound, path: path, best: &best)
        }
        if let star = nodes[index].star { visit(star, from: segment.upperBound, path: path, best: &best) }
    }

    /// The literal child of node `index` for the segment `bytes`, by canonical equivalence as the
    /// dictionary finds it (`SegmentLiteral.matches`).
    private func literalChild(of index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard nodes[index].literalList.count <= Node.linearLiteralLimit else {
            return nodes[index].literals[String(decoding: bytes, as: UTF8.self)]
        }
        for entry in nodes[index].literalList where entry.literal.matches(bytes) { return entry.node }
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
