/// The networks whose forwarding headers are believed.
///
/// Invariant: immutable; `contains` is a short linear scan of masked compares (no allocation).
public struct TrustedProxies: Sendable, Hashable {
    /// The trusted networks, as configured.
    public let networks: [IPNetwork]

    /// Creates the set from parsed networks.
    public init(_ networks: [IPNetwork]) {
        self.networks = networks
    }

    /// Whether `ip` is in a trusted network.
    @inline(__always)
    public func contains(_ ip: IPAddress) -> Bool {
        for network in networks where network.contains(ip) { return true }
        return false
    }
}
