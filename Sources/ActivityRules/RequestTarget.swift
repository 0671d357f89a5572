/// A raw HTTP request-target split into its normalised path and its query.
///
/// The path is normalised the way the application will see it, so that spelling tricks cannot dodge
/// a rule: percent-escapes are decoded once (including `%2F`, because the WSGI server hands Django a
/// decoded `PATH_INFO`), repeated slashes are merged, and `.` / `..` segments are resolved (never above
/// the root). A trailing slash is kept: Django routes `/reports/` and `/reports` differently.
/// The query never influences which rule matches.
public struct RequestTarget: Sendable, Hashable {
    /// The normalised path, always starting with `/`.
    public var path: String
    /// The raw query string after `?`, without the `?`; empty when absent.
    public var query: String

    /// Splits and normalises a raw request-target such as `/api/v1//reports/./1/?format=pdf`.
    ///
    /// An absolute-form target (`http://host/path`) is reduced to its path; a fragment is dropped.
    public init(_ target: String) {
        // The common target, a normal path with no query or fragment, is kept as it is: the
        // request's string shared, not sliced and copied.
        if Self.isPlainPath(target.utf8) {
            self.init(path: target, query: "")
        } else {
            self.init(splitting: target)
        }
    }

    private init(path: String, query: String) {
        self.path = path
        self.query = query
    }

    /// The general way, for any target; `init(_:)` gives the same for a plain path without it
    /// (`NormalisationTests` compare the two over every short target of a small alphabet).
    init(splitting target: String) {
        var raw = Substring(target)
        if let hash = firstIndex(of: UInt8(ascii: "#"), in: raw) { raw = raw[..<hash] }
        if raw.utf8.first != UInt8(ascii: "/"), let scheme = raw.range(of: "://") {
            let rest = raw[scheme.upperBound...]
            raw = rest.utf8.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }).map { rest[$0...] } ?? "/"
        }
        if let mark = firstIndex(of: UInt8(ascii: "?"), in: raw) {
            query = String(raw[raw.utf8.index(after: mark)...])
            raw = raw[..<mark]
        } else {
            query = ""
        }
        path = Self.normalise(raw)
    }

    /// Normalises a path: decode percent-escapes once, merge slashes, resolve dot segments.
    public static func normalise(_ raw: Substring) -> String {
        if isAlreadyNormal(raw.utf8) { return String(raw) }
        let decoded = percentDecode(raw.utf8, plusAsSpace: false)
        var segments: [Substring] = []
        let parts = decoded.split(separator: "/", omittingEmptySubsequences: true)
        for part in parts {
            switch part {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(part)
            }
        }
        let lastPart = decoded.split(separator: "/", omittingEmptySubsequences: false).last
        let trailingSlash = !segments.isEmpty && (decoded.hasSuffix("/") || lastPart == "." || lastPart == "..")
        var path = "/" + segments.joined(separator: "/")
        if trailingSlash { path += "/" }
        return path
    }

    /// True when the path needs no work: it starts with `/` and has no `%`, no `//` and no `/.`.
    static func isAlreadyNormal(_ bytes: Substring.UTF8View) -> Bool {
        guard bytes.first == UInt8(ascii: "/") else { return false }
        // Over the contiguous bytes: stepping a `UTF8View` index byte by byte was the match's
        // largest cost after hashing (this runs for every request).
        return bytes.withContiguousStorageIfAvailable(isAlreadyNormal) ?? Array(bytes).withUnsafeBufferPointer(isAlreadyNormal)
    }

    /// Whether `bytes` are a normalised path with no query (`?`) and no fragment (`#`): then the
    /// target is its own path. False when the bytes are not contiguous (the general way handles
    /// those).
    static func isPlainPath(_ bytes: String.UTF8View) -> Bool {
        guard bytes.first == UInt8(ascii: "/") else { return false }
        return bytes.withContiguousStorageIfAvailable { buffer in
            !buffer.contains { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } && isAlreadyNormal(buffer)
        } ?? false
    }

    private static func isAlreadyNormal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: "%") { return false }
            if previous == UInt8(ascii: "/"), byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".") { return false }
            previous = byte
        }
        return true
    }

    /// The query as ordered name/value pairs, `+` read as a space and escapes decoded.
    public var queryItems: [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (
                    percentDecode(pair[..<equals].utf8, plusAsSpace: true),
                    percentDecode(pair[pair.index(after: equals)...].utf8, plusAsSpace: true)
                )
            }
            return (percentDecode(pair.utf8, plusAsSpace: true), "")
        }
    }
}

/// Decodes `%XX` escapes once; a malformed escape is kept as written. Invalid UTF-8 becomes U+FFFD.
func percentDecode(_ bytes: Substring.UTF8View, plusAsSpace: Bool) -> String {
    guard bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
        return String(Substring(bytes))
    }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index != bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%"),
           let first = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex), first != bytes.endIndex,
           let second = bytes.index(first, offsetBy: 1, limitedBy: bytes.endIndex), second != bytes.endIndex,
           let high = hexValue(bytes[first]), let low = hexValue(bytes[second]) {
            output.append(high << 4 | low)
            index = bytes.index(after: second)
            continue
        }
        output.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
        index = bytes.index(after: index)
    }
    return String(decoding: output, as: UTF8.self)
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// The index of the first `byte` in `text`, scanning its contiguous UTF-8 (a byte-by-byte walk of
/// a `UTF8View` index costs several times more).
func firstIndex(of byte: UInt8, in text: Substring) -> Substring.Index? {
    let utf8 = text.utf8
    guard let offset = utf8.withContiguousStorageIfAvailable({ $0.firstIndex(of: byte) }) ?? utf8.firstIndex(of: byte).map({ utf8.distance(from: utf8.startIndex, to: $0) })
    else { return nil }
    return utf8.index(utf8.startIndex, offsetBy: offset)
}
