import Testing
@testable import ActivityRules

@Suite struct ClientIPTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var peer: String
        var headers: [String] = []
        var sources: [ClientIPResolver.Source] = [.xForwardedFor]
        var ip: String
        var verified: Bool
        var chain: [String]? = nil
        /// The trusted networks, when not `ClientIPTests.trusted`.
        var trusted: [String]? = nil
        var testDescription: String { name }
    }

    static let trusted = TrustedProxies(["10.0.0.0/8", "192.168.0.0/16", "2001:db8:ffff::/48", "127.0.0.1"].map { IPNetwork($0)! })

    static let cases: [Case] = [
        .init(name: "untrusted peer, no headers", peer: "198.51.100.7", ip: "198.51.100.7", verified: true),
        .init(name: "untrusted peer forging XFF", peer: "198.51.100.7", headers: ["X-Forwarded-For: 1.2.3.4"], ip: "198.51.100.7", verified: true, chain: []),
        .init(name: "untrusted peer forging X-Real-IP", peer: "198.51.100.7", headers: ["X-Real-IP: 1.2.3.4"], sources: [.xRealIP], ip: "198.51.100.7", verified: true),
        .init(name: "untrusted peer with port", peer: "198.51.100.7:51234", ip: "198.51.100.7", verified: true),
        .init(name: "trusted peer, one hop", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9"], ip: "203.0.113.9", verified: true, chain: ["203.0.113.9"]),
        .init(name: "trusted peer, no header", peer: "10.0.0.2", ip: "10.0.0.2", verified: false),
        .init(name: "multi-hop: client spoofs left, trusted hops right", peer: "10.0.0.2", headers: ["X-Forwarded-For: 6.6.6.6, 203.0.113.9, 192.168.1.1, 10.9.9.9"], ip: "203.0.113.9", verified: true),
        .init(name: "every hop trusted: leftmost wins, unverified", peer: "10.0.0.2", headers: ["X-Forwarded-For: 10.1.1.1, 192.168.1.1"], ip: "10.1.1.1", verified: false),
        .init(name: "unparsable entry stops the walk", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9, garbage, 10.1.1.1"], ip: "10.1.1.1", verified: false),
        .init(name: "unparsable last entry keeps the peer", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9, nope"], ip: "10.0.0.2", verified: false),
        .init(name: "several XFF lines are one list", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9", "x-forwarded-for: 10.1.1.1"], ip: "203.0.113.9", verified: true, chain: ["203.0.113.9", "10.1.1.1"]),
        .init(name: "entries with ports", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9:5678, 10.1.1.1:80"], ip: "203.0.113.9", verified: true),
        .init(name: "bracketed IPv6 with port", peer: "10.0.0.2", headers: ["X-Forwarded-For: [2001:db8::1]:443"], ip: "2001:db8::1", verified: true),
        .init(name: "bare IPv6 entry", peer: "10.0.0.2", headers: ["X-Forwarded-For: 2001:DB8:0:0:0:0:0:1"], ip: "2001:db8::1", verified: true),
        .init(name: "IPv6 trusted peer", peer: "[2001:db8:ffff::5]:9000", headers: ["X-Forwarded-For: 203.0.113.9"], ip: "203.0.113.9", verified: true),
        .init(name: "IPv4-mapped peer matches IPv4 CIDR", peer: "::ffff:10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9"], ip: "203.0.113.9", verified: true),
        .init(name: "IPv4-mapped client prints as IPv4", peer: "10.0.0.2", headers: ["X-Forwarded-For: ::ffff:203.0.113.9"], ip: "203.0.113.9", verified: true),
        .init(name: "non-IP peer (unix socket)", peer: "unix:/run/x.sock", headers: ["X-Forwarded-For: 1.2.3.4"], ip: "unix:/run/x.sock", verified: false),
        .init(name: "Forwarded simple", peer: "10.0.0.2", headers: ["Forwarded: for=203.0.113.9;proto=https"], sources: [.forwarded], ip: "203.0.113.9", verified: true),
        .init(name: "Forwarded quoted IPv6 with port", peer: "10.0.0.2", headers: ["Forwarded: For=\"[2001:db8:cafe::17]:4711\""], sources: [.forwarded], ip: "2001:db8:cafe::17", verified: true),
        .init(name: "Forwarded multi-element, trusted hop right", peer: "10.0.0.2", headers: ["Forwarded: for=203.0.113.9, for=10.1.1.1;by=10.0.0.2"], sources: [.forwarded], ip: "203.0.113.9", verified: true, chain: ["203.0.113.9", "10.1.1.1"]),
        .init(name: "Forwarded unknown stops the walk", peer: "10.0.0.2", headers: ["Forwarded: for=unknown, for=10.1.1.1"], sources: [.forwarded], ip: "10.1.1.1", verified: false),
        .init(name: "Forwarded obfuscated stops the walk", peer: "10.0.0.2", headers: ["Forwarded: for=203.0.113.9, for=_hidden"], sources: [.forwarded], ip: "10.0.0.2", verified: false),
        .init(name: "Forwarded quoted comma inside value", peer: "10.0.0.2", headers: ["Forwarded: for=\"_a,b\";proto=http, for=203.0.113.9"], sources: [.forwarded], ip: "203.0.113.9", verified: true),
        .init(name: "first configured source present wins", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.1", "Forwarded: for=203.0.113.2"], sources: [.forwarded, .xForwardedFor], ip: "203.0.113.2", verified: true),
        .init(name: "falls through to the next source", peer: "10.0.0.2", headers: ["X-Real-IP: 203.0.113.3"], sources: [.forwarded, .xRealIP], ip: "203.0.113.3", verified: true),
        .init(name: "X-Real-IP unparsable", peer: "10.0.0.2", headers: ["X-Real-IP: nope"], sources: [.xRealIP], ip: "10.0.0.2", verified: false),
        .init(name: "XFF ignored when not a configured source", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9"], sources: [.xRealIP], ip: "10.0.0.2", verified: false),
    ]

    /// Where nginx 1.22 (`set_real_ip_from`, `real_ip_header X-Forwarded-For`, `real_ip_recursive on`)
    /// was seen to differ from the walk before it followed nginx; `ip` is nginx's `$remote_addr`.
    static let nginxCases: [Case] = [
        .init(name: "a space separates entries like a comma", peer: "10.0.0.2", headers: ["X-Forwarded-For: 198.51.100.23 10.0.0.2"], ip: "198.51.100.23", verified: true, chain: ["198.51.100.23", "10.0.0.2"]),
        .init(name: "spaces and commas mixed, empty entries skipped", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9 ,,  10.1.1.1 ,"], ip: "203.0.113.9", verified: true, chain: ["203.0.113.9", "10.1.1.1"]),
        .init(name: "port 0 is unparsable", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9, 198.51.100.23:0"], ip: "10.0.0.2", verified: false),
        .init(name: "port 65536 is unparsable", peer: "10.0.0.2", headers: ["X-Forwarded-For: 198.51.100.23:65536"], ip: "10.0.0.2", verified: false),
        .init(name: "a port of many digits is unparsable", peer: "10.0.0.2", headers: ["X-Forwarded-For: 198.51.100.23:99999999999999999999999"], ip: "10.0.0.2", verified: false),
        .init(name: "an empty port is unparsable", peer: "10.0.0.2", headers: ["X-Forwarded-For: 198.51.100.23:"], ip: "10.0.0.2", verified: false),
        .init(name: "port 65535 parses", peer: "10.0.0.2", headers: ["X-Forwarded-For: 198.51.100.23:65535"], ip: "198.51.100.23", verified: true),
        .init(name: "a port with leading zeros parses", peer: "10.0.0.2", headers: ["X-Forwarded-For: 198.51.100.23:0080"], ip: "198.51.100.23", verified: true),
        .init(name: "[v6] without a port is unparsable", peer: "10.0.0.2", headers: ["X-Forwarded-For: [2001:db8::1]"], ip: "10.0.0.2", verified: false),
        .init(name: "[v6] with port 0 is unparsable", peer: "10.0.0.2", headers: ["X-Forwarded-For: [2001:db8::1]:0"], ip: "10.0.0.2", verified: false),
        .init(name: "an unparsable entry keeps the last good address", peer: "10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9, [2001:db8::1], 10.1.1.1"], ip: "10.1.1.1", verified: false),
        .init(name: "an IPv4-mapped peer is not covered by ::ffff:0:0/96", peer: "::ffff:10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9"], ip: "10.0.0.2", verified: true, chain: [], trusted: ["::ffff:0:0/96"]),
        .init(name: "an IPv4-mapped peer is not covered by ::/0", peer: "[::ffff:10.0.0.2]:4000", headers: ["X-Forwarded-For: 203.0.113.9"], ip: "10.0.0.2", verified: true, chain: [], trusted: ["::/0"]),
        .init(name: "an IPv4-mapped peer is covered by an IPv4 network", peer: "::ffff:10.0.0.2", headers: ["X-Forwarded-For: 203.0.113.9"], ip: "203.0.113.9", verified: true, trusted: ["::/0", "10.0.0.0/8"]),
        .init(name: "::/0 does not cover IPv4 entries", peer: "2001:db8::5", headers: ["X-Forwarded-For: 203.0.113.9, 198.51.100.7, 2001:db8::9"], ip: "198.51.100.7", verified: true, trusted: ["::/0"]),
        .init(name: "a leading comma joins the leftmost entry", peer: "10.0.0.2", headers: ["X-Forwarded-For: ,10.1.1.1"], ip: "10.0.0.2", verified: false, chain: [",10.1.1.1"]),
        .init(name: "a leading separator before a space is an entry of its own", peer: "10.0.0.2", headers: ["X-Forwarded-For: , 10.1.1.1"], ip: "10.1.1.1", verified: false, chain: [",", "10.1.1.1"]),
    ]

    @Test(arguments: cases + nginxCases)
    func resolve(_ testCase: Case) throws {
        var trusted = Self.trusted
        if let networks = testCase.trusted { trusted = TrustedProxies(try networks.map { try #require(IPNetwork($0)) }) }
        let resolver = ClientIPResolver(trusted: trusted, sources: testCase.sources)
        let address = resolver.resolve(peer: testCase.peer, headers: headers(testCase.headers))
        #expect(address.ip == testCase.ip)
        #expect(address.verified == testCase.verified)
        if let chain = testCase.chain { #expect(address.chain == chain) }
    }

    @Test(arguments: [
        ("10.0.0.2", ["X-Forwarded-For: 203.0.113.9, 10.1.1.1"], "203.0.113.9, 10.1.1.1, 10.0.0.2", true),
        ("10.0.0.2:4000", [], "10.0.0.2", true),
        ("198.51.100.7", ["X-Forwarded-For: 1.2.3.4"], "198.51.100.7", false),
        ("[2001:db8::9]:443", ["X-Forwarded-For: 1.2.3.4"], "2001:db8::9", false),
    ])
    func upstreamForwarding(_ peer: String, _ lines: [String], _ expected: String, _ trusted: Bool) {
        let resolver = ClientIPResolver(trusted: Self.trusted, untrustedDropHeaders: ["x-forwarded-user"])
        let forwarding = resolver.upstreamForwarding(peer: peer, headers: headers(lines))
        #expect(forwarding.forwardedFor == expected)
        #expect(resolver.forwardedFor(peer: peer, headers: headers(lines)) == expected)
        #expect(forwarding.passForwardedProtoAndHost == trusted)
        #expect(forwarding.dropHeaders.contains("x-forwarded-user") == !trusted)
        #expect(forwarding.dropHeaders.contains("x-forwarded-proto") == !trusted)
    }

    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"), ("::1", "::1"), ("::", "::"), ("2001:db8::", "2001:db8::"),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"), ("fe80::1:2", "fe80::1:2"),
        ("::ffff:192.0.2.1", "192.0.2.1"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1::", "1::"),
    ])
    func ipAddressRoundTrip(_ text: String, _ printed: String) throws {
        #expect(try #require(IPAddress(text)).description == printed)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4:80", "1:2:3:4:5:6:7:8:9", "1:::2", "::1::", "g::1", "[::1]", "12345::", ":1", "1:"])
    func invalidAddresses(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false), ("10.0.0.0/8", "::ffff:10.1.2.3", true),
        ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "2001:db8::1", false), ("2001:db8::/32", "2001:db8:1::1", true),
        ("2001:db8::/32", "2001:db9::1", false), ("127.0.0.1", "127.0.0.1", true), ("127.0.0.1", "127.0.0.2", false),
        ("::/0", "2001:db8::1", true), ("::/0", "203.0.113.9", false), ("::/0", "::ffff:10.0.0.1", false),
        ("::ffff:0:0/96", "::ffff:10.0.0.1", false), ("::ffff:0:0/96", "10.0.0.1", false),
    ])
    func networkContains(_ network: String, _ address: String, _ expected: Bool) throws {
        #expect(try #require(IPNetwork(network)).contains(try #require(IPAddress(address))) == expected)
    }

    @Test(arguments: [("10.0.0.0/8", "10.0.0.0/8"), ("::ffff:0:0/96", "::ffff:0.0.0.0/96"), ("::/0", "::/0"), ("10.1.2.3/16", "10.1.0.0/16")])
    func networkDescription(_ text: String, _ printed: String) throws {
        #expect(try #require(IPNetwork(text)).description == printed)
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/+8", "::/99999999999999999999", "10.0.0.0/-1", "::/129", "nope/8", "10.0.0.0/", "10.0.0.0/8/8"])
    func invalidNetworks(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }

    /// A header of thousands of entries (a client can send one through a trusted proxy) is read
    /// whole, in order, by a walk linear in its entries.
    @Test func aLongChainIsReadInOrder() {
        let hops = (0..<8_000).map { "10.\($0 / 256 % 256).\($0 % 256).1" }
        let line = "203.0.113.9 " + hops.joined(separator: ",")
        let resolver = ClientIPResolver(trusted: Self.trusted)
        let address = resolver.resolve(peer: "10.0.0.2", headers: headers(["X-Forwarded-For: " + line]))
        #expect(address.ip == "203.0.113.9")
        #expect(address.verified)
        #expect(address.chain == ["203.0.113.9"] + hops)
    }

    @Test func isTrustedPerConnection() {
        let resolver = ClientIPResolver(trusted: Self.trusted)
        #expect(resolver.isTrusted(peer: "10.2.3.4"))
        #expect(resolver.isTrusted(peer: "[::ffff:10.2.3.4]:80"))
        #expect(!resolver.isTrusted(peer: "8.8.8.8"))
        #expect(!resolver.isTrusted(peer: "garbage"))
    }

    /// The dotted quad written digit by digit spells every octet as decimal interpolation does.
    @Test func everyOctetIsSpelledAsInDecimal() throws {
        for octet in 0...255 {
            for text in ["\(octet).0.0.0", "0.\(octet).0.0", "0.0.\(octet).0", "0.0.0.\(octet)", "\(octet).\(octet).\(octet).\(octet)"] {
                let address = try #require(IPAddress(text))
                #expect(address.description == text)
                #expect(address.ipv6Text == "::ffff:" + text)
            }
        }
    }
}
