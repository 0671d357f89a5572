/// A regular expression from a safe subset, compiled to a Thompson NFA and run as a Pike VM:
/// time is linear in the input (O(input × pattern)), whatever the pattern, so an attacker's path
/// cannot make a rule slow. There is no backtracking.
///
/// Supported: literals, `.`, classes `[a-z_-]` / `[^/]`, `\d \w \s \D \W \S`, escaped punctuation,
/// groups `(…)`, `(?:…)`, named `(?P<name>…)` / `(?<name>…)`, `|`, `* + ?`, `{m}`, `{m,}`, `{m,n}`
/// (bounds ≤ 100). The pattern always matches the whole path, as if wrapped in `^…$`; a leading `^`
/// and trailing `$` are allowed and change nothing. Not supported (load error): backreferences,
/// lookaround, lazy or possessive quantifiers, inline flags, anchors elsewhere.
public struct SafeRegex: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let description: String
    /// Named capture groups, in order of their opening parenthesis.
    public let captureNames: [String]
    /// A literal every match starts with (after the implicit `^`); checked before running the VM.
    let literalPrefix: [UInt8]
    let program: [Instruction]

    /// Compiles `pattern`, throwing a sentence and a character offset for the reviewer.
    init(_ pattern: String) throws(TemplateError) {
        var parser = RegexParser(bytes: Array(pattern.utf8))
        let tree = try parser.parseAll()
        description = pattern
        captureNames = parser.names
        literalPrefix = tree.literalPrefix
        var compiler = RegexCompiler()
        compiler.emit(tree)
        compiler.program.append(.match)
        guard compiler.program.count <= 20_000 else {
            throw TemplateError(offset: 0, "The pattern compiles to more than 20000 steps; use smaller `{m,n}` bounds.")
        }
        program = compiler.program
    }

    /// Matches the whole input; returns the named captures (unset groups omitted) or nil.
    public func match(_ input: String) -> [(name: String, value: String)]? {
        var bytes = Array(input.utf8)
        guard bytes.starts(with: literalPrefix) else { return nil }
        return bytes.withUnsafeMutableBufferPointer { buffer in
            guard let slots = run(UnsafeBufferPointer(buffer)) else { return nil }
            var result: [(name: String, value: String)] = []
            for (index, name) in captureNames.enumerated() {
                let start = slots[index * 2], end = slots[index * 2 + 1]
                if start >= 0, end >= start {
                    result.append((name, String(decoding: buffer[start..<end], as: UTF8.self)))
                }
            }
            return result
        }
    }

    /// The Pike VM: one pass over the input, at most one thread per instruction.
    private func run(_ input: UnsafeBufferPointer<UInt8>) -> [Int]? {
        let slotCount = captureNames.count * 2
        var current = ThreadList(size: program.count)
        var next = ThreadList(size: program.count)
        var matched: [Int]?
        add(&current, pc: 0, slots: [Int](repeating: -1, count: slotCount), position: 0)
        var position = 0
        while true {
            if current.threads.isEmpty { break }
            let byte: UInt8? = position < input.count ? input[position] : nil
            for thread in current.threads {
                switch program[thread.pc] {
                case .match:
                    if byte == nil, matched == nil { matched = thread.slots }
                case let .byteSet(set):
                    if let byte, set.contains(byte) { add(&next, pc: thread.pc + 1, slots: thread.slots, position: position + 1) }
                default: break
                }
            }
            if byte == nil { break }
            position += 1
            swap(&current, &next)
            next.clear()
        }
        return matched
    }

    /// Follows jumps, splits and saves from `pc`, adding consuming threads in priority order.
    private func add(_ list: inout ThreadList, pc: Int, slots: [Int], position: Int) {
        var stack: [(Int, [Int])] = [(pc, slots)]
        while let (pc, slots) = stack.popLast() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case let .jump(target): stack.append((target, slots))
            case let .split(first, second):
                stack.append((second, slots))
                stack.append((first, slots))
            case let .save(slot):
                var copy = slots
                if slot < copy.count { copy[slot] = position }
                stack.append((pc + 1, copy))
            case .byteSet, .match:
                list.threads.append(VMThread(pc: pc, slots: slots))
            }
        }
    }
}

/// One NFA instruction.
enum Instruction: Sendable, Hashable {
    case byteSet(ByteSet)
    case split(Int, Int)
    case jump(Int)
    case save(Int)
    case match
}

struct VMThread {
    var pc: Int
    var slots: [Int]
}

/// The threads of one step, deduplicated by instruction with a sparse set.
struct ThreadList {
    var threads: [VMThread] = []
    var dense: [Int]
    var sparse: [Int]
    var count = 0

    init(size: Int) {
        dense = [Int](repeating: 0, count: size)
        sparse = [Int](repeating: 0, count: size)
    }

    mutating func insert(_ pc: Int) -> Bool {
        let slot = sparse[pc]
        if slot < count, dense[slot] == pc { return false }
        sparse[pc] = count
        dense[count] = pc
        count += 1
        return true
    }

    mutating func clear() {
        count = 0
        threads.removeAll(keepingCapacity: true)
    }
}

/// A set of bytes as a 256-bit mask.
struct ByteSet: Sendable, Hashable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    init() {}
    init(_ byte: UInt8) { insert(byte) }
    init(range: ClosedRange<UInt8>) { for byte in range { insert(byte) } }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func formUnion(_ other: ByteSet) {
        words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
    }

    var inverted: ByteSet {
        var copy = self
        copy.words = (~words.0, ~words.1, ~words.2, ~words.3)
        return copy
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    /// The single byte in the set, if it holds exactly one.
    var single: UInt8? {
        var found: UInt8?
        for byte in 0...255 where contains(UInt8(byte)) {
            if found != nil { return nil }
            found = UInt8(byte)
        }
        return found
    }

    static let digits = ByteSet(range: 48...57)
    static let word: ByteSet = {
        var set = ByteSet(range: 48...57)
        set.formUnion(ByteSet(range: 65...90))
        set.formUnion(ByteSet(range: 97...122))
        set.insert(95)
        return set
    }()
    static let space: ByteSet = {
        var set = ByteSet()
        for byte: UInt8 in [9, 10, 11, 12, 13, 32] { set.insert(byte) }
        return set
    }()
    static let all = ByteSet().inverted
}
