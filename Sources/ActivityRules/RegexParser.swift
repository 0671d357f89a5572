/// The syntax tree of a `SafeRegex` pattern.
indirect enum RegexNode {
    case empty
    case set(ByteSet)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)
    case group(RegexNode, capture: Int?)

    /// Bytes every match must start with.
    var literalPrefix: [UInt8] {
        switch self {
        case let .set(set): return set.single.map { [$0] } ?? []
        case let .group(inner, _): return inner.literalPrefix
        case let .repetition(inner, min, _) where min >= 1: return inner.literalPrefix
        case let .concat(nodes):
            var prefix: [UInt8] = []
            for node in nodes {
                guard let fixed = node.fixedBytes else { return prefix + node.literalPrefix }
                prefix += fixed
            }
            return prefix
        default: return []
        }
    }

    /// The exact bytes this node matches, when it matches only one string.
    var fixedBytes: [UInt8]? {
        switch self {
        case .empty: return []
        case let .set(set): return set.single.map { [$0] }
        case let .group(inner, _): return inner.fixedBytes
        case let .concat(nodes):
            var bytes: [UInt8] = []
            for node in nodes {
                guard let fixed = node.fixedBytes else { return nil }
                bytes += fixed
            }
            return bytes
        default: return nil
        }
    }
}

/// A recursive-descent parser for the `SafeRegex` subset, over UTF-8 bytes.
struct RegexParser {
    var bytes: [UInt8]
    var index = 0
    var names: [String] = []
    var depth = 0

    static let maxBound = 100

    mutating func parseAll() throws(TemplateError) -> RegexNode {
        if peek == UInt8(ascii: "^") { index += 1 }
        let node = try parseAlternation()
        if index < bytes.count {
            if bytes[index] == UInt8(ascii: ")") { throw fail("Unbalanced `)`.") }
            throw fail("Unexpected character.")
        }
        return node
    }

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func fail(_ message: String, at offset: Int? = nil) -> TemplateError {
        TemplateError(offset: offset ?? index, message)
    }

    mutating func parseAlternation() throws(TemplateError) -> RegexNode {
        var branches = [try parseConcat()]
        while peek == UInt8(ascii: "|") {
            index += 1
            branches.append(try parseConcat())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseConcat() throws(TemplateError) -> RegexNode {
        var items: [RegexNode] = []
        while let byte = peek, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
            if byte == UInt8(ascii: "$") {
                guard index == bytes.count - 1 else { throw fail("`$` is only allowed at the very end; patterns always match the whole path.") }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "^") { throw fail("`^` is only allowed at the very start; patterns always match the whole path.") }
            var atom = try parseAtom()
            atom = try parseQuantifiers(atom)
            items.append(atom)
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    mutating func parseQuantifiers(_ atom: RegexNode) throws(TemplateError) -> RegexNode {
        var node = atom
        while let byte = peek {
            let start = index
            let min: Int, max: Int?
            switch byte {
            case UInt8(ascii: "*"): (min, max) = (0, nil); index += 1
            case UInt8(ascii: "+"): (min, max) = (1, nil); index += 1
            case UInt8(ascii: "?"): (min, max) = (0, 1); index += 1
            case UInt8(ascii: "{"): (min, max) = try parseBounds()
            default: return node
            }
            if peek == UInt8(ascii: "?") || peek == UInt8(ascii: "+") {
                throw fail("Lazy and possessive quantifiers are not supported; drop the trailing `\(Character(UnicodeScalar(peek!)))`.")
            }
            if case .repetition = node { throw fail("Nested quantifier; wrap the inner part in `(?:…)`.", at: start) }
            node = .repetition(node, min: min, max: max)
        }
        return node
    }

    mutating func parseBounds() throws(TemplateError) -> (Int, Int?) {
        let start = index
        index += 1
        func number(_ parser: inout RegexParser) -> Int? {
            var value: Int?
            while let byte = parser.peek, byte >= 48, byte <= 57 {
                value = (value ?? 0) * 10 + Int(byte - 48)
                if value! > 10_000 { return value }
                parser.index += 1
            }
            return value
        }
        guard let min = number(&self) else { throw fail("Write bounds as `{m}`, `{m,}` or `{m,n}`.", at: start) }
        var max: Int? = min
        if peek == UInt8(ascii: ",") {
            index += 1
            max = number(&self)
        }
        guard peek == UInt8(ascii: "}") else { throw fail("Write bounds as `{m}`, `{m,}` or `{m,n}`.", at: start) }
        index += 1
        guard min <= Self.maxBound, (max ?? 0) <= Self.maxBound else { throw fail("Bounds above \(Self.maxBound) are not allowed.", at: start) }
        if let max, max < min { throw fail("In `{m,n}`, m must not exceed n.", at: start) }
        return (min, max)
    }

    mutating func parseAtom() throws(TemplateError) -> RegexNode {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "("):
            let start = index
            index += 1
            depth += 1
            guard depth <= 32 else { throw fail("Groups nest deeper than 32.") }
            var capture: Int?
            if peek == UInt8(ascii: "?") {
                index += 1
                if peek == UInt8(ascii: ":") {
                    index += 1
                } else if peek == UInt8(ascii: "P") || peek == UInt8(ascii: "<") {
                    if peek == UInt8(ascii: "P") { index += 1 }
                    guard peek == UInt8(ascii: "<") else { throw fail("Write a named group as `(?P<name>…)`.") }
                    index += 1
                    let nameStart = index
                    while let c = peek, isAlphanumeric(c) || c == 95 { index += 1 }
                    guard peek == UInt8(ascii: ">"), index > nameStart else {
                        throw fail("Lookbehind is not supported; a named group is `(?P<name>…)` with letters, digits and `_`.")
                    }
                    let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
                    guard !names.contains(name) else { throw fail("The group name `\(name)` appears twice.", at: nameStart) }
                    index += 1
                    capture = names.count
                    names.append(name)
                } else {
                    throw fail("Lookaround and inline flags are not supported; use `(?:…)` or `(?P<name>…)`.", at: start)
                }
            }
            let inner = try parseAlternation()
            guard peek == UInt8(ascii: ")") else { throw fail("Missing `)` for the group opened here.", at: start) }
            index += 1
            depth -= 1
            return .group(inner, capture: capture)
        case UInt8(ascii: "["): return .set(try parseClass())
        case UInt8(ascii: "."):
            index += 1
            return .set(.all)
        case UInt8(ascii: "\\"): return .set(try parseEscape(inClass: false))
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
            throw fail("A quantifier needs something before it; escape it as `\\\(Character(UnicodeScalar(byte)))` to match it literally.")
        default:
            index += 1
            return .set(ByteSet(byte))
        }
    }

    mutating func parseEscape(inClass: Bool) throws(TemplateError) -> ByteSet {
        index += 1
        guard let byte = peek else { throw fail("A pattern cannot end with `\\`.") }
        index += 1
        switch byte {
        case UInt8(ascii: "d"): return .digits
        case UInt8(ascii: "D"): return ByteSet.digits.inverted
        case UInt8(ascii: "w"): return .word
        case UInt8(ascii: "W"): return ByteSet.word.inverted
        case UInt8(ascii: "s"): return .space
        case UInt8(ascii: "S"): return ByteSet.space.inverted
        case UInt8(ascii: "t"): return ByteSet(9)
        case UInt8(ascii: "n"): return ByteSet(10)
        default:
            guard !isAlphanumeric(byte), byte < 128 else {
                throw fail("`\\\(Character(UnicodeScalar(byte)))` is not supported (no backreferences, word boundaries or anchors); escape only punctuation.", at: index - 2)
            }
            return ByteSet(byte)
        }
    }

    mutating func parseClass() throws(TemplateError) -> ByteSet {
        let start = index
        index += 1
        var negated = false
        if peek == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var set = ByteSet()
        var first = true
        while true {
            guard let byte = peek else { throw fail("Missing `]` for the class opened here.", at: start) }
            if byte == UInt8(ascii: "]"), !first { index += 1; break }
            first = false
            var low: UInt8
            if byte == UInt8(ascii: "\\") {
                let escaped = try parseEscape(inClass: true)
                guard let single = escaped.single else { set.formUnion(escaped); continue }
                low = single
            } else {
                guard byte < 128 else { throw fail("Only ASCII is supported inside `[…]`.") }
                low = byte
                index += 1
            }
            if peek == UInt8(ascii: "-"), index + 1 < bytes.count, bytes[index + 1] != UInt8(ascii: "]") {
                index += 1
                var high = bytes[index]
                if high == UInt8(ascii: "\\") {
                    guard let single = try parseEscape(inClass: true).single else { throw fail("A range ends with a single character.") }
                    high = single
                } else {
                    index += 1
                }
                guard low <= high else { throw fail("The range is backwards; write the lower character first.") }
                set.formUnion(ByteSet(range: low...high))
            } else {
                set.insert(low)
            }
        }
        return negated ? set.inverted : set
    }
}
