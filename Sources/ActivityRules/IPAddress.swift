/// An IPv4 or IPv6 address as 128 bits; IPv4 is held as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`),
/// so an IPv4-mapped peer matches IPv4 networks and prints as IPv4.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The high 64 bits, network order.
    public let high: UInt64
    /// The low 64 bits, network order.
    public let low: UInt64

    /// Whether the address is IPv4 or IPv4-mapped IPv6.
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`; no ports, brackets or zones.
    public init?(_ text: some StringProtocol) {
        guard let parsed = Self.withBytes(text, { Self.parse($0) }) else { return nil }
        self = parsed
    }

    /// Parses an address that may carry a port or brackets: `1.2.3.4:5678`, `[2001:db8::1]:443`, `[::1]`.
    public init?(stripping text: some StringProtocol) {
        guard let parsed = Self.withBytes(text, { Self.parseStripping($0) }) else { return nil }
        self = parsed
    }

    /// Runs `body` on the UTF-8 bytes without copying when the string is contiguous.
    static func withBytes<S: StringProtocol>(_ text: S, _ body: (UnsafeBufferPointer<UInt8>) -> IPAddress?) -> IPAddress? {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if let v4 = parseIPv4(bytes) { return IPAddress(high: 0, low: 0xffff_0000_0000 | UInt64(v4)) }
        if let v6 = parseIPv6(bytes) { return IPAddress(high: v6.0, low: v6.1) }
        return nil
    }

    static func parseStripping(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard let first = bytes.first else { return nil }
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let rest = bytes.count - close - 1
            if rest > 0 {
                guard rest > 1, bytes[close + 1] == UInt8(ascii: ":"), isDigits(bytes, from: close + 2) else { return nil }
            }
            return parse(UnsafeBufferPointer(rebasing: bytes[1..<close]))
        }
        var colons = 0, lastColon = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: ":") {
            colons += 1
            lastColon = index
        }
        if colons == 1 {
            guard lastColon + 1 < bytes.count, isDigits(bytes, from: lastColon + 1) else { return nil }
            guard let v4 = parseIPv4(UnsafeBufferPointer(rebasing: bytes[0..<lastColon])) else { return nil }
            return IPAddress(high: 0, low: 0xffff_0000_0000 | UInt64(v4))
        }
        return parse(bytes)
    }

    /// Parses an `X-Forwarded-For` entry exactly as nginx `realip` does (`ngx_parse_addr_port`):
    /// an address, `IPv4:PORT` or `[IPv6]:PORT`. PORT is 1–65535 in decimal digits (leading zeros
    /// allowed); port 0, larger ports, an empty port and `[IPv6]` without a port are unparsable.
    static func parseForwardedFor(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if let address = parse(bytes) { return address }
        guard let first = bytes.first else { return nil }
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close + 1 < bytes.count,
                  bytes[close + 1] == UInt8(ascii: ":"), isPort(bytes, from: close + 2) else { return nil }
            return parse(UnsafeBufferPointer(rebasing: bytes[1..<close]))
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), isPort(bytes, from: colon + 1) else { return nil }
        return parse(UnsafeBufferPointer(rebasing: bytes[0..<colon]))
    }

    /// Whether `bytes[start...]` is a port number 1–65535 (digits only, leading zeros allowed).
    static func isPort(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        guard start < bytes.count else { return false }
        var value = 0
        for index in start..<bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            guard value <= 65535 else { return false }
        }
        return value >= 1
    }

    static func isDigits(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        guard start < bytes.count else { return false }
        for index in start..<bytes.count where !(48...57).contains(bytes[index]) { return false }
        return true
    }

    static func parseIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var value = -1
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard value >= 0, octets < 3 else { return nil }
                result = result << 8 | UInt32(value)
                octets += 1
                value = -1
                digits = 0
            } else if byte >= 48, byte <= 57 {
                if digits == 1, value == 0 { return nil }
                value = max(value, 0) * 10 + Int(byte - 48)
                digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard value >= 0, octets == 3 else { return nil }
        return result << 8 | UInt32(value)
    }

    static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gap: Int?
        var index = 0
        if bytes[0] == 58, bytes[1] == 58 {
            gap = 0
            index = 2
            if index == bytes.count { return (0, 0) }
        }
        while index < bytes.count {
            var end = index
            var hasDot = false
            while end < bytes.count, bytes[end] != 58 {
                if bytes[end] == 46 { hasDot = true }
                end += 1
            }
            if hasDot {
                guard end == bytes.count, let v4 = parseIPv4(UnsafeBufferPointer(rebasing: bytes[index..<end])) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xffff))
                index = end
                break
            }
            guard end > index, end - index <= 4 else { return nil }
            var value: UInt16 = 0
            for position in index..<end {
                guard let digit = hexValue(bytes[position]) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            groups.append(value)
            guard groups.count <= 8 else { return nil }
            index = end
            if index < bytes.count {
                index += 1
                if index < bytes.count, bytes[index] == 58 {
                    guard gap == nil else { return nil }
                    gap = groups.count
                    index += 1
                    if index == bytes.count { break }
                } else if index == bytes.count {
                    return nil
                }
            }
        }
        if let gap {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    /// The address with all but the first `prefix` bits cleared (prefix counts IPv4 bits for IPv4).
    public func masked(prefix: Int) -> IPAddress {
        let bits = isIPv4 ? 96 + prefix : prefix
        let (maskHigh, maskLow) = Self.mask(bits)
        return IPAddress(high: high & maskHigh, low: low & maskLow | (isIPv4 ? 0xffff_0000_0000 : 0))
    }

    static func mask(_ bits: Int) -> (UInt64, UInt64) {
        let clamped = min(max(bits, 0), 128)
        let high: UInt64 = clamped >= 64 ? .max : clamped == 0 ? 0 : ~(UInt64.max >> UInt64(clamped))
        let low: UInt64 = clamped <= 64 ? 0 : clamped == 128 ? .max : ~(UInt64.max >> UInt64(clamped - 64))
        return (high, low)
    }

    /// Dotted quad for IPv4 (and mapped), RFC 5952 text for IPv6.
    public var description: String {
        if isIPv4 { return dottedQuad }
        return ipv6Text
    }

    /// The low 32 bits as a dotted quad.
    ///
    /// Digits stored straight into the string's storage: the interpolation of four integers it
    /// replaces was 1.3% of `tracking-bench`'s samples (every tracked request formats its client
    /// address and peer).
    var dottedQuad: String {
        let v4 = UInt32(truncatingIfNeeded: low)
        return String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in stride(from: UInt32(24), through: 0, by: -8) {
                let octet = v4 >> shift & 255
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                if octet >= 100 {
                    buffer[count] = UInt8(ascii: "0") + UInt8(octet / 100)
                    count += 1
                }
                if octet >= 10 {
                    buffer[count] = UInt8(ascii: "0") + UInt8(octet / 10 % 10)
                    count += 1
                }
                buffer[count] = UInt8(ascii: "0") + UInt8(octet % 10)
                count += 1
            }
            return count
        }
    }

    /// RFC 5952 text, IPv4-mapped addresses as `::ffff:a.b.c.d`.
    var ipv6Text: String {
        if isIPv4 { return "::ffff:" + dottedQuad }
        let groups = (0..<8).map { index -> UInt16 in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> UInt64((3 - index % 4) * 16))
        }
        var bestStart = -1, bestLength = 0, start = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if start < 0 { start = index }
            } else if start >= 0 {
                if index - start > bestLength, index - start > 1 { (bestStart, bestLength) = (start, index - start) }
                start = -1
            }
        }
        func hex(_ range: Range<Int>) -> String { range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// An IP network in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, or a single address.
///
/// Like nginx (`ngx_cidr_match`), a network has the family it is written in: an IPv4 network
/// contains IPv4 addresses and IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`); an IPv6 network
/// contains only the other IPv6 addresses, so `::/0` and `::ffff:0:0/96` never cover an IPv4 or
/// IPv4-mapped address.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits cleared).
    public let address: IPAddress
    /// The prefix length in bits of the network's family (0–32 for IPv4, 0–128 for IPv6).
    public let prefix: Int
    /// Whether the network was written as IPv4 (`10.0.0.0/8`) rather than IPv6 (`::ffff:0:0/96`).
    public let isIPv4: Bool
    let maskHigh: UInt64
    let maskLow: UInt64

    /// Parses `10.0.0.0/8`, `::1/128` or a bare address (a host network). Text with a colon is an
    /// IPv6 network, IPv4-mapped ones included.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let isIPv4 = !first.utf8.contains(UInt8(ascii: ":"))
        let limit = isIPv4 ? 32 : 128
        var prefix = limit
        if parts.count == 2 {
            guard parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let value = Int(parts[1]), (0...limit).contains(value) else { return nil }
            prefix = value
        }
        self.prefix = prefix
        self.isIPv4 = isIPv4
        (maskHigh, maskLow) = IPAddress.mask(isIPv4 ? 96 + prefix : prefix)
        self.address = IPAddress(high: address.high & maskHigh, low: address.low & maskLow)
    }

    /// Whether `ip` lies in the network: IPv4 networks hold IPv4 and IPv4-mapped addresses, IPv6
    /// networks the other IPv6 addresses (see the type's summary).
    @inline(__always)
    public func contains(_ ip: IPAddress) -> Bool {
        ip.isIPv4 == isIPv4 && ip.high & maskHigh == address.high && ip.low & maskLow == address.low
    }

    /// `10.0.0.0/8`, `::ffff:0.0.0.0/96`.
    public var description: String { "\(isIPv4 ? address.description : address.ipv6Text)/\(prefix)" }
}

extension IPNetwork: Codable {
    /// Decodes from a CIDR string; the error names the key path through the decoder's context.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let network = IPNetwork(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a network such as \"10.0.0.0/8\", \"2001:db8::/32\" or \"127.0.0.1\"")
        }
        self = network
    }

    /// Encodes as the CIDR string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
