/// Figures about the running sidecar that the system-health view shows beside the database's.
/// The caller gathers them (from the writer, the spool and the proxy's metrics) in a closure, so
/// the analytics routes depend on none of those.
public struct RuntimeFigures: Sendable, Equatable {
    /// Records waiting in the ingest queue.
    public var queueDepth: Int
    /// Bytes in the ingest spool on disk.
    public var spoolBytes: Int64
    /// Share of proxied requests answered with a 5xx status (0...1) since start, when known.
    public var errorRate: Double?
    /// Seconds since the sidecar started.
    public var uptimeSeconds: Double

    public init(queueDepth: Int = 0, spoolBytes: Int64 = 0, errorRate: Double? = nil, uptimeSeconds: Double = 0) {
        self.queueDepth = queueDepth
        self.spoolBytes = spoolBytes
        self.errorRate = errorRate
        self.uptimeSeconds = uptimeSeconds
    }
}
