/// Reads `X-Forwarded-For` values the way nginx `realip` does (`ngx_http_get_forwarded_addr`,
/// nginx 1.22), so that the proxy and an nginx configured with `real_ip_recursive on` agree on
/// every client address.
///
/// - Entries are separated by commas *and* spaces; empty entries between separators are skipped.
/// - An entry is parsed by `IPAddress.parseForwardedFor` (an address, `IPv4:PORT`, `[IPv6]:PORT`).
/// - nginx walks a value from the right and takes everything left of the last separator as the
///   leftmost entry, so a value that starts with a separator (`, 203.0.113.9`) ends in an
///   unparsable entry, and an empty value is one unparsable (empty) entry.
/// - Optional whitespace around the whole value (HTTP's OWS) is not part of it; a tab inside it is.
enum XForwardedFor {
    /// Appends the entries of one header value, left to right, with each entry parsed (nil when
    /// unparsable). Never traps: every index stays inside `line`.
    static func append(_ line: UnsafeBufferPointer<UInt8>, chain: inout [String], addresses: inout [IPAddress?]) {
        var low = 0
        var high = line.count
        while low < high, isWhitespace(line[low]) { low += 1 }
        while high > low, isWhitespace(line[high - 1]) { high -= 1 }
        let value = UnsafeBufferPointer(rebasing: line[low..<high])
        // Found right to left and appended, then this value's entries are reversed in place:
        // linear in the entries (inserting each at the front would be quadratic, and a header of
        // a few KiB holds thousands of entries).
        let first = chain.count
        defer {
            chain[first...].reverse()
            addresses[first...].reverse()
        }
        var length = value.count
        while true {
            guard length > 0 else {
                chain.append("")
                addresses.append(nil)
                return
            }
            var last = length - 1
            while last > 0, isSeparator(value[last]) { last -= 1 }
            var start = last
            while start > 0 {
                if isSeparator(value[start]) {
                    start += 1
                    break
                }
                start -= 1
            }
            let entry = UnsafeBufferPointer(rebasing: value[start...last])
            chain.append(String(decoding: entry, as: UTF8.self))
            addresses.append(IPAddress.parseForwardedFor(entry))
            guard start > 0 else { return }
            length = start - 1
        }
    }

    static func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") }
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
