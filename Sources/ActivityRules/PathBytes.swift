/// A path's UTF-8 bytes, read segment by segment (the maximal runs of bytes other than `/`; a `/`
/// ending a path longer than one byte is `trailingSlash`) without making a substring or an array.
/// The one definition of a path's segments: `PathSegments` makes substrings of these.
///
/// The rule decision runs on the event loop for every request; `PathSegments`' array and
/// substrings (their scalar alignment, retains and releases) were most of its cost in
/// `rules-bench` (2026-12-03 perf: `Substring.init`, `scalarAlignSlow`, the array's allocation).
///
/// What the walk still allocates, only for paths that ask for it and bounded by their length: a
/// node with more than `MethodIndex.Node.linearLiteralLimit` literal children looks a segment up
/// in its dictionary by a `String` (on the heap past 15 bytes), and a segment that is not ASCII
/// becomes a `String` for each literal it is compared with (`segmentEquals`).
///
/// Valid only inside the closure of `with(_:_:)`: `bytes` points into the string's storage.
/// Every offset it hands out lies within `bytes`.
struct PathBytes {
    let bytes: UnsafeBufferPointer<UInt8>
    let trailingSlash: Bool

    /// Calls `body` with the bytes of `path`.
    static func with<Result>(_ path: String, _ body: (PathBytes) -> Result) -> Result {
        var path = path
        return path.withUTF8 { bytes in
            body(PathBytes(bytes: bytes, trailingSlash: bytes.count > 1 && bytes[bytes.count - 1] == slash))
        }
    }

    private static let slash = UInt8(ascii: "/")

    /// The byte range of the first segment at or after `offset`, or nil when only slashes (or
    /// nothing) are left. Pass the previous segment's `upperBound` to get the next one.
    func segment(from offset: Int) -> Range<Int>? {
        var start = max(offset, 0)
        while start < bytes.count, bytes[start] == Self.slash { start += 1 }
        guard start < bytes.count else { return nil }
        var end = start + 1
        while end < bytes.count, bytes[end] != Self.slash { end += 1 }
        return start..<end
    }

    /// The bytes of a range `segment(from:)` returned.
    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }
}

/// Whether a path segment equals `literal` as `String`'s `==` says (canonical equivalence), by its
/// bytes where they decide: equal bytes are equal strings, and two different ASCII byte strings
/// are different strings; only when a side is not ASCII can different bytes be equal strings
/// ("K" and U+212A KELVIN SIGN, "é" and "e" with a combining acute), and then the strings are
/// compared. The segment's bytes are valid UTF-8: a path is a `String`, cut at ASCII `/`.
/// `literalIsASCII` is asked only when the bytes differ and the segment is ASCII.
func segmentEquals(
    _ segment: UnsafeBufferPointer<UInt8>, _ literal: some Collection<UInt8>, literalIsASCII: @autoclosure () -> Bool, literalText: String
) -> Bool {
    if segment.count == literal.count, segment.elementsEqual(literal) { return true }
    if segment.allSatisfy({ $0 < 0x80 }), literalIsASCII() { return false }
    return literalText == String(decoding: segment, as: UTF8.self)
}

/// A template's literal segment as the trie compares it: its text and its bytes.
struct SegmentLiteral: Sendable {
    let text: String
    let bytes: [UInt8]
    let isASCII: Bool

    init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
        isASCII = bytes.allSatisfy { $0 < 0x80 }
    }

    /// Whether `segment` equals the literal as `String`'s `==` says.
    func matches(_ bytesOfSegment: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { mine in
            segmentEquals(bytesOfSegment, mine, literalIsASCII: isASCII, literalText: text)
        }
    }
}
