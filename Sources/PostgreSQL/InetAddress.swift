#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 host address, parsed from its textual form: what PostgreSQL's `inet` holds for
/// a single host (no netmask).
package struct InetAddress: Hashable, Sendable {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    package let bytes: [UInt8]

    package var isIPv6: Bool { bytes.count == 16 }

    /// Parses `"192.0.2.1"` or `"2001:db8::1"`; `nil` for anything else (no zone, no netmask).
    package init?(_ text: String) {
        guard let bytes = Self.withParsed(text, { Array($0) }) else { return nil }
        self.bytes = bytes
    }

    /// Whether `text` is an IPv4 or IPv6 address that `init?(_:)` accepts; allocates nothing.
    package static func isValid(_ text: String) -> Bool {
        withParsed(text) { _ in true } ?? false
    }

    /// Parses `text` without allocating and hands its 4 or 16 bytes (network order) to `body`;
    /// `nil` when it is not an address. Every record's two addresses are parsed on the request
    /// path (validation) and again by the COPY encoder: the `String` → C string bridge and the
    /// byte array of `init?(_:)` were four allocations per address.
    package static func withParsed<Result>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
        var v4 = in_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            return try withUnsafeBytes(of: &v4, body)
        }
        var v6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 {
            return try withUnsafeBytes(of: &v6, body)
        }
        return nil
    }

    package init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The canonical textual form.
    package var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = isIPv6 ? AF_INET6 : AF_INET
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard written != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
