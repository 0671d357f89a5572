/// A path template such as `/api/v1/reports/{report_id:int}/generate/`, matched segment by segment.
///
/// Segments are literals, parameters `{name}` or `{name:constraint}` (see `SegmentConstraint`),
/// `*` (exactly one segment, not captured) or `**` (zero or more segments; last segment only).
/// A trailing `/` is significant, as in Django's routes.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One segment of a template.
    public enum Segment: Sendable, Hashable {
        /// Text that must equal the path segment.
        case literal(String)
        /// A captured segment satisfying the constraint.
        case parameter(name: String, constraint: SegmentConstraint)
        /// `*`: any one segment, not captured.
        case star
        /// `**`: zero or more trailing segments.
        case doubleStar
    }

    /// The segments between slashes, in order.
    public let segments: [Segment]
    /// Whether the template ends with `/`.
    public let trailingSlash: Bool
    /// The template as written.
    public let description: String

    /// Parses a template; the message of a thrown error is a sentence for the reviewer.
    init(parsing text: String) throws(TemplateError) {
        guard text.hasPrefix("/") else { throw TemplateError(offset: 0, "A path template starts with `/`.") }
        description = text
        let parts = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var segments: [Segment] = []
        var names = Set<String>()
        var offset = 1
        for (index, part) in parts.enumerated() {
            defer { offset += part.count + 1 }
            if part.isEmpty {
                if index == parts.count - 1 { continue }
                throw TemplateError(offset: offset, "Empty segment (`//`); paths are normalised, so write one `/`.")
            }
            if part == "**" {
                guard index == parts.count - 1 || (index == parts.count - 2 && parts.last!.isEmpty) else {
                    throw TemplateError(offset: offset, "`**` may only be the last segment.")
                }
                segments.append(.doubleStar)
            } else if part == "*" {
                segments.append(.star)
            } else if part.hasPrefix("{") {
                guard part.hasSuffix("}") else { throw TemplateError(offset: offset, "A parameter is one whole segment, written `{name}` or `{name:constraint}`.") }
                let inner = part.dropFirst().dropLast()
                let pieces = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(pieces[0])
                guard name.first.map({ $0.isLetter || $0 == "_" }) == true, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw TemplateError(offset: offset + 1, "Parameter names are letters, digits and `_`, e.g. `{report_id}`.")
                }
                guard names.insert(name).inserted else { throw TemplateError(offset: offset + 1, "The parameter `\(name)` appears twice.") }
                var constraint = SegmentConstraint.any
                if pieces.count == 2 {
                    guard let parsed = SegmentConstraint(rawValue: String(pieces[1])) else {
                        throw TemplateError(offset: offset + name.count + 2, "Unknown constraint `\(pieces[1])`; use one of \(SegmentConstraint.allCases.map(\.rawValue).joined(separator: ", ")).")
                    }
                    constraint = parsed
                }
                segments.append(.parameter(name: name, constraint: constraint))
            } else {
                guard !part.contains("{"), !part.contains("}"), !part.contains("*") else {
                    throw TemplateError(offset: offset, "A segment is either literal text or a whole `{param}`, `*` or `**`.")
                }
                guard part != ".", part != ".." else { throw TemplateError(offset: offset, "Dot segments never reach a rule; paths are normalised first.") }
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
        trailingSlash = text.count > 1 && text.hasSuffix("/") && segments.last != .doubleStar
    }

    /// The parameter names in order.
    public var parameterNames: [String] {
        segments.compactMap { if case let .parameter(name, _) = $0 { name } else { nil } }
    }

    var literalCount: Int { segments.reduce(0) { if case .literal = $1 { $0 + 1 } else { $0 } } }
    var constrainedCount: Int { segments.reduce(0) { if case let .parameter(_, c) = $1, c != .any { $0 + 1 } else { $0 } } }
    var hasDoubleStar: Bool { segments.last == .doubleStar }
    var isExact: Bool { literalCount == segments.count }

    /// Matches path segments (of a normalised path), returning captured parameters or nil.
    func match(_ path: PathSegments) -> [(name: String, value: String)]? {
        if hasDoubleStar {
            guard path.segments.count >= segments.count - 1 else { return nil }
        } else {
            guard path.segments.count == segments.count, path.trailingSlash == trailingSlash else { return nil }
        }
        var captures: [(name: String, value: String)] = []
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .doubleStar: return captures
            case .star: continue
            case let .literal(text): if path.segments[index] != text { return nil }
            case let .parameter(name, constraint):
                let value = path.segments[index]
                guard constraint.accepts(value) else { return nil }
                captures.append((name, String(value)))
            }
        }
        return captures
    }

    /// Whether the path matches, as `match` says, without making its captures or its segments
    /// (exceptions are checked for every request a rule records, on the event loop).
    func matches(_ path: PathBytes) -> Bool {
        var offset = 0
        for segment in segments {
            if case .doubleStar = segment { return true }
            guard let range = path.segment(from: offset) else { return false }
            offset = range.upperBound
            switch segment {
            case .doubleStar, .star: continue
            case let .literal(text):
                guard segmentEquals(path.slice(range), text.utf8, literalIsASCII: text.utf8.allSatisfy { $0 < 0x80 }, literalText: text) else {
                    return false
                }
            case let .parameter(_, constraint):
                guard constraint.accepts(bytes: path.slice(range)) else { return false }
            }
        }
        return path.segment(from: offset) == nil && path.trailingSlash == trailingSlash
    }

    /// The captured parameters of a path the method index's trie matched with this template,
    /// read straight from the path's bytes (`RuleMatch.captures` makes them when an activity is
    /// built, off the event loop). The trie compared every literal, checked every constraint and
    /// the trailing slash, so only the parameters are read; a path that does not match gives the
    /// parameters of the segments it has, never a trap. `TrieDifferentialTests` check them against
    /// `match` for every path the index matches.
    func captures(ofMatching path: PathBytes) -> [(name: String, value: String)] {
        var captures: [(name: String, value: String)] = []
        var offset = 0
        for segment in segments {
            if case .doubleStar = segment { break }
            guard let range = path.segment(from: offset) else { break }
            offset = range.upperBound
            if case let .parameter(name, _) = segment { captures.append((name, String(decoding: path.slice(range), as: UTF8.self))) }
        }
        return captures
    }
}

/// A path split into segments as substrings, for the places that keep or print them (`rules
/// explain`, the checker, the templates' `match`). The split is `PathBytes`': the rule decision
/// walks the same segments in place.
struct PathSegments {
    var segments: [Substring]
    var trailingSlash: Bool

    init(_ path: String) {
        let (ranges, trailingSlash) = PathBytes.with(path) { bytes in
            var ranges: [Range<Int>] = []
            var offset = 0
            while let range = bytes.segment(from: offset) {
                ranges.append(range)
                offset = range.upperBound
            }
            return (ranges, bytes.trailingSlash)
        }
        // A byte offset is an O(1) index into a native string's UTF-8, and every range starts and
        // ends at an ASCII `/` or an end, so each is a whole-scalar substring.
        let utf8 = path.utf8
        func index(_ offset: Int) -> String.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
        segments = ranges.map { Substring(utf8[index($0.lowerBound)..<index($0.upperBound)]) }
        self.trailingSlash = trailingSlash
    }
}

/// A template parse failure; `offset` is the character offset in the template text.
struct TemplateError: Error {
    var offset: Int
    var message: String
    init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }
}

/// What a `{name:constraint}` parameter accepts in its segment.
public enum SegmentConstraint: String, Sendable, Hashable, CaseIterable {
    /// Any non-empty segment (the default).
    case any = "str"
    /// ASCII digits only: `42`.
    case int
    /// A UUID with hyphens, any case: `3f2b…-…`.
    case uuid
    /// ASCII letters, digits, `-` and `_`.
    case slug

    /// Whether `segment` satisfies the constraint.
    public func accepts(_ segment: Substring) -> Bool {
        accepts(bytes: segment.utf8)
    }

    /// Whether a segment of these UTF-8 bytes satisfies the constraint (every constraint reads
    /// bytes, so the rule decision checks a segment without making a substring of it).
    func accepts(bytes segment: some Collection<UInt8>) -> Bool {
        switch self {
        case .any: return !segment.isEmpty
        case .int: return !segment.isEmpty && segment.allSatisfy { $0 >= 48 && $0 <= 57 }
        case .slug: return !segment.isEmpty && segment.allSatisfy { isAlphanumeric($0) || $0 == 45 || $0 == 95 }
        case .uuid:
            guard segment.count == 36 else { return false }
            for (index, byte) in segment.enumerated() {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    if byte != 45 { return false }
                } else if hexValue(byte) == nil {
                    return false
                }
            }
            return true
        }
    }

    /// Whether some segment satisfies both constraints.
    func overlaps(_ other: SegmentConstraint) -> Bool {
        switch (self, other) {
        case (.int, .uuid), (.uuid, .int): false
        default: true
        }
    }
}

func isAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
}
