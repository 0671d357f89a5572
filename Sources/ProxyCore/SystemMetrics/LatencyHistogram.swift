import Foundation

/// Upstream latencies in 240 log-spaced buckets: bucket `i` holds values up to
/// `10 µs × 1.07^(i+1)`, so the buckets span 10 µs to about 2 minutes with ~7% resolution
/// (anything longer lands in the last). Recording is one logarithm and one array increment: no
/// allocation, no lock. A histogram belongs to one event loop (`LoopTraffic`).
struct LatencyHistogram: Sendable, Equatable {
    static let bucketCount = 240
    static let growth = 1.07
    static let smallestNanoseconds = 10_000.0
    private static let logGrowth = log(growth)

    private(set) var counts = [Int](repeating: 0, count: bucketCount)
    private(set) var total = 0

    /// The bucket of a latency in nanoseconds (negative and tiny values go to the first).
    static func bucket(nanoseconds: Int64) -> Int {
        let ratio = Double(nanoseconds) / smallestNanoseconds
        guard ratio > 1 else { return 0 }
        let index = (log(ratio) / logGrowth).rounded(.down)
        guard index.isFinite else { return bucketCount - 1 }
        return index >= Double(bucketCount - 1) ? bucketCount - 1 : Int(index)
    }

    /// The upper bound of bucket `index`, in milliseconds.
    static func upperBoundMs(ofBucket index: Int) -> Double {
        smallestNanoseconds * pow(growth, Double(index + 1)) / 1e6
    }

    mutating func record(nanoseconds: Int64) {
        counts[Self.bucket(nanoseconds: nanoseconds)] &+= 1
        total &+= 1
    }

    /// Adds another histogram's counts (harvest: the loops' histograms into one).
    mutating func add(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        total &+= other.total
    }

    /// The `quantile` (0...1) as its bucket's upper bound in milliseconds; nil when empty.
    func quantileMs(_ quantile: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((Double(total) * min(max(quantile, 0), 1)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen &+= count
            if seen >= rank { return Self.upperBoundMs(ofBucket: index) }
        }
        return Self.upperBoundMs(ofBucket: Self.bucketCount - 1)
    }
}
