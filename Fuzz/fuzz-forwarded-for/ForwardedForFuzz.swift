import FuzzDriver
@testable import ActivityRules

/// Input: line 1 the trusted networks (comma-separated), line 2 the peer, then header lines
/// `Name: value` (X-Forwarded-For, Forwarded, X-Real-IP); the whole input is also one raw
/// X-Forwarded-For value, bytes as they are.
///
/// Invariants (a violation is a `precondition` failure = a finding):
/// - nothing traps, for any bytes;
/// - every address and network prints as text that parses back to the same value;
/// - an entry nginx's rules accept, the lenient parser (used to truncate IPs) accepts too;
/// - the resolved IP is the peer's text when the peer is no address, else an address; a verified
///   client behind a trusted peer read from X-Forwarded-For is not itself trusted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var chain: [String] = []
    var addresses: [IPAddress?] = []
    XForwardedFor.append(bytes, chain: &chain, addresses: &addresses)
    precondition(chain.count == addresses.count, "one parse per entry")
    for (entry, address) in zip(chain, addresses) {
        if let address {
            precondition(IPAddress(stripping: entry) != nil, "nginx-accepted entry \(entry) must be truncatable")
            precondition(IPAddress(address.description) == address, "\(address) round trip")
        }
    }

    let text = String(decoding: bytes, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let networksLine = lines.isEmpty ? "" : lines.removeFirst()
    let peer = lines.isEmpty ? "" : lines.removeFirst()
    var networks: [IPNetwork] = []
    for piece in networksLine.split(separator: ",") {
        guard let network = IPNetwork(String(piece)) else { continue }
        precondition(IPNetwork(network.description) == network, "\(network) round trip")
        networks.append(network)
    }
    var headers: [(name: String, value: String)] = []
    for line in lines {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
    }
    let trusted = TrustedProxies(networks)
    for sources in [[ClientIPResolver.Source.xForwardedFor], [.forwarded], [.xRealIP], ClientIPResolver.Source.allCases] {
        let resolver = ClientIPResolver(trusted: trusted, sources: sources)
        let address = resolver.resolve(peer: peer, headers: headers)
        guard let peerIP = IPAddress(stripping: peer) else {
            precondition(address.ip == peer, "an unparsable peer is kept as text")
            continue
        }
        guard let ip = IPAddress(address.ip) else { preconditionFailure("resolved \(address.ip) is no address") }
        if sources == [.xForwardedFor], address.verified, trusted.contains(peerIP) {
            precondition(!trusted.contains(ip), "a verified client is untrusted")
        }
        _ = resolver.upstreamForwarding(peer: peer, headers: headers)
    }
    return 0
}

@main
enum ForwardedForFuzz { static func main() { runFuzzer(fuzzOneInput) } }
