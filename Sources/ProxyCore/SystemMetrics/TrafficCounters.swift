import Foundation
import Ingest
import NIOCore

/// The proxy's per-event-loop traffic counters (`LoopTraffic`), one per loop of its group, and
/// the harvest that takes them all into one `SidecarMinute`.
///
/// A connection's handler looks its loop's counters up once, when the connection opens; after
/// that each request costs a few integer increments and one histogram bucket on its own loop.
final class TrafficCounters: Sendable {
    private let loops: [(loop: any EventLoop, traffic: NIOLoopBoundBox<LoopTraffic?>)]
    private let byLoop: [ObjectIdentifier: NIOLoopBoundBox<LoopTraffic?>]

    init(group: any EventLoopGroup) {
        var loops: [(loop: any EventLoop, traffic: NIOLoopBoundBox<LoopTraffic?>)] = []
        for loop in group.makeIterator() {
            // Made empty here (any thread); the loop makes its counters on first use.
            loops.append((loop, NIOLoopBoundBox.makeEmptyBox(valueType: LoopTraffic.self, eventLoop: loop)))
        }
        self.loops = loops
        self.byLoop = Dictionary(loops.map { (ObjectIdentifier($0.loop), $0.traffic) }, uniquingKeysWith: { first, _ in first })
    }

    /// The counters of `eventLoop`; call on that loop. Nil for a loop outside the group (an
    /// embedded test loop): nothing is counted there.
    func counters(for eventLoop: any EventLoop) -> LoopTraffic? {
        guard let box = byLoop[ObjectIdentifier(eventLoop)] else { return nil }
        if let traffic = box.value { return traffic }
        let traffic = LoopTraffic()
        box.value = traffic
        return traffic
    }

    /// Hops onto every loop, takes and resets its counters, and combines them into the minute
    /// holding `now`. The writer's figures are added by `ActivityWriter.recordSystemMinute`.
    func harvest(now: Date = Date()) async -> SidecarMinute {
        var minute = SidecarMinute(minute: now)
        var latency = LatencyHistogram()
        for (loop, traffic) in loops {
            guard let snapshot = try? await loop.submit({ traffic.value?.take() }).get() else { continue }
            for index in minute.requestsByClass.indices { minute.requestsByClass[index] &+= snapshot.requestsByClass[index] }
            minute.upstreamErrors &+= snapshot.upstreamErrors
            minute.upstreamTimeouts &+= snapshot.upstreamTimeouts
            minute.bytesIn &+= snapshot.bytesIn
            minute.bytesOut &+= snapshot.bytesOut
            latency.add(snapshot.latency)
            minute.exclusions.merge(snapshot.exclusions, uniquingKeysWith: &+)
        }
        minute.latencyP50Ms = latency.quantileMs(0.50)
        minute.latencyP95Ms = latency.quantileMs(0.95)
        minute.latencyP99Ms = latency.quantileMs(0.99)
        return minute
    }
}
