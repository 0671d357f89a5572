
/// One event loop's traffic counters since the last harvest: touched only on that loop (by the
/// proxy handlers of its connections, and by the harvest, which hops onto the loop), so counting
/// takes no lock and no atomic operation.
///
/// Threading: not `Sendable`; `TrafficCounters` keeps each one in a `NIOLoopBoundBox` of its loop.
package final class LoopTraffic {
    var requestsByClass = [0, 0, 0, 0, 0]
    var upstreamErrors = 0
    var upstreamTimeouts = 0
    var bytesIn = 0
    var bytesOut = 0
    var latency = LatencyHistogram()
    var exclusions: [String: Int] = [:]

    /// Counts an answered request by its status class (anything outside 100...599 counts as the
    /// nearest class).
    func countRequest(status: Int, bytesIn: Int, bytesOut: Int) {
        requestsByClass[min(max(status / 100 - 1, 0), 4)] &+= 1
        self.bytesIn &+= bytesIn
        self.bytesOut &+= bytesOut
    }

    func countExclusion(_ exceptionID: String) {
        exclusions[exceptionID, default: 0] &+= 1
    }

    /// What was counted since the last take, with the counters reset.
    func take() -> Snapshot {
        defer {
            requestsByClass = [0, 0, 0, 0, 0]
            (upstreamErrors, upstreamTimeouts, bytesIn, bytesOut) = (0, 0, 0, 0)
            latency = LatencyHistogram()
            exclusions = [:]
        }
        return Snapshot(
            requestsByClass: requestsByClass, upstreamErrors: upstreamErrors, upstreamTimeouts: upstreamTimeouts,
            bytesIn: bytesIn, bytesOut: bytesOut, latency: latency, exclusions: exclusions)
    }

    /// A loop's counters, taken.
    struct Snapshot: Sendable {
        var requestsByClass: [Int]
        var upstreamErrors: Int
        var upstreamTimeouts: Int
        var bytesIn: Int
        var bytesOut: Int
        var latency: LatencyHistogram
        var exclusions: [String: Int]
    }
}
