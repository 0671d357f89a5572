/// Figures about the running analytics service that the system-health view shows beside the
/// database's (the sidecars' error rate and latency come from `system_metrics`). The caller gathers them in a closure, so the routes depend on nothing else.
public struct RuntimeFigures: Sendable, Equatable {
    /// Seconds since the service started.
    public var uptimeSeconds: Double

    public init(uptimeSeconds: Double = 0) {
        self.uptimeSeconds = uptimeSeconds
    }
}
