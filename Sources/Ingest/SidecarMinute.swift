import Foundation

/// What one sidecar saw during (part of) one UTC minute: a row of `system_metrics` and its rows of
/// `system_metrics_exceptions`.
///
/// Plain numbers only: the proxy fills the traffic part from its per-event-loop counters, the
/// writer adds its own figures (`ActivityWriter.recordSystemMinute`), and nothing here knows HTTP.
/// Two values of the same minute combine with `add(_:)`, the same way the database upsert does:
/// counters add, latency percentiles and gauges keep the larger (a percentile of two parts is not
/// derivable from the parts' percentiles; the larger is the conservative reading).
public struct SidecarMinute: Sendable, Equatable {
    /// The start of the UTC minute (seconds are zero).
    public var minute: Date
    /// Requests answered, by status class: index 0 is 1xx, 4 is 5xx.
    public var requestsByClass: [Int] = [0, 0, 0, 0, 0]
    /// Exchanges where the upstream could not be reached or broke off.
    public var upstreamErrors = 0
    /// Exchanges where the upstream did not answer in time.
    public var upstreamTimeouts = 0
    /// Upstream latency (request end sent → response head), in milliseconds; nil without a response.
    public var latencyP50Ms: Double?
    public var latencyP95Ms: Double?
    public var latencyP99Ms: Double?
    /// Body bytes received from clients and sent to them.
    public var bytesIn = 0
    public var bytesOut = 0
    /// Activity rows committed, spooled, dropped and dead-lettered in the period.
    public var rowsWritten = 0
    public var rowsSpooled = 0
    public var rowsDropped = 0
    public var rowsDeadLettered = 0
    /// Records waiting in memory and bytes in the spool at the end of the period.
    public var queueDepth = 0
    public var spoolBytes = 0
    /// Requests a rule matched but an exception excluded, by exception id.
    public var exclusions: [String: Int] = [:]

    /// An empty minute starting at `minute` (rounded down to the minute).
    public init(minute: Date) {
        self.minute = Self.start(of: minute)
    }

    /// The start of the UTC minute holding `date`.
    public static func start(of date: Date) -> Date {
        let seconds = date.timeIntervalSince1970
        return Date(timeIntervalSince1970: (seconds / 60).rounded(.down) * 60)
    }

    /// Requests excluded by any exception.
    public var requestsExcluded: Int { exclusions.values.reduce(0, &+) }

    /// Every request answered, all classes.
    public var requests: Int { requestsByClass.reduce(0, &+) }

    /// Adds `other` (of the same minute) to this one: counters add (wrapping never happens in
    /// practice: 2^63 requests), latencies and gauges keep the larger.
    public mutating func add(_ other: SidecarMinute) {
        for index in requestsByClass.indices where index < other.requestsByClass.count {
            requestsByClass[index] &+= other.requestsByClass[index]
        }
        upstreamErrors &+= other.upstreamErrors
        upstreamTimeouts &+= other.upstreamTimeouts
        latencyP50Ms = Self.larger(latencyP50Ms, other.latencyP50Ms)
        latencyP95Ms = Self.larger(latencyP95Ms, other.latencyP95Ms)
        latencyP99Ms = Self.larger(latencyP99Ms, other.latencyP99Ms)
        bytesIn &+= other.bytesIn
        bytesOut &+= other.bytesOut
        rowsWritten &+= other.rowsWritten
        rowsSpooled &+= other.rowsSpooled
        rowsDropped &+= other.rowsDropped
        rowsDeadLettered &+= other.rowsDeadLettered
        queueDepth = max(queueDepth, other.queueDepth)
        spoolBytes = max(spoolBytes, other.spoolBytes)
        exclusions.merge(other.exclusions, uniquingKeysWith: &+)
    }

    private static func larger(_ a: Double?, _ b: Double?) -> Double? {
        switch (a, b) {
        case let (a?, b?): max(a, b)
        case let (a?, nil): a
        case let (nil, b): b
        }
    }
}
