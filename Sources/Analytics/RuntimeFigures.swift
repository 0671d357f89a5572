/// Figures about the running analytics service that the system-health view shows beside the
/// database's. The caller gathers them in a closure, so the routes depend on nothing else.
public struct RuntimeFigures: Sendable, Equatable {
    /// Share of proxied requests answered with a 5xx status (0...1), when known.
    public var errorRate: Double?
    /// Seconds since the service started.
    public var uptimeSeconds: Double

    public init(errorRate: Double? = nil, uptimeSeconds: Double = 0) {
        self.errorRate = errorRate
        self.uptimeSeconds = uptimeSeconds
    }
}
