import Foundation
import Logging

extension ActivityWriter {
    /// Queues a harvest of the proxy's traffic counters for `system_metrics`, with the writer's
    /// own figures for the same period added (rows written, spooled, dropped and dead-lettered
    /// since the previous harvest; queue depth and spool bytes now).
    ///
    /// Never blocks on I/O: the minute waits in memory (at most `SystemMetricsBuffer.defaultCapacity`
    /// minutes, oldest dropped first) and is written with the next heartbeat, while connected.
    public func recordSystemMinute(_ traffic: SidecarMinute) {
        let spoolBytes = spoolBox.withLock { $0?.stats.bytes } ?? 0
        shared.withLock { state in
            var minute = traffic
            minute.rowsWritten = state.rowsWritten &- state.harvested.rowsWritten
            minute.rowsSpooled = state.spooled &- state.harvested.spooled
            minute.rowsDropped = state.dropped &- state.harvested.dropped
            minute.rowsDeadLettered = state.deadLettered &- state.harvested.deadLettered
            minute.queueDepth = state.queue.count + state.overflow.count
            minute.spoolBytes = spoolBytes
            state.harvested = .init(
                rowsWritten: state.rowsWritten, spooled: state.spooled, dropped: state.dropped, deadLettered: state.deadLettered)
            state.systemMetrics.append(minute)
        }
    }

    /// System-metric minutes waiting for PostgreSQL, and minutes dropped since start because
    /// PostgreSQL was away for longer than the buffer holds.
    public var systemMetricsBacklog: (waiting: Int, dropped: Int) {
        shared.withLock { ($0.systemMetrics.minutes.count, $0.systemMetrics.dropped) }
    }

    /// Writes the waiting minutes on the live connection; on failure they go back to the buffer
    /// (before any harvested meanwhile) for the next heartbeat.
    func writeSystemMetrics(on live: Live) async throws {
        let minutes = shared.withLock { $0.systemMetrics.takeAll() }
        guard !minutes.isEmpty else { return }
        let writer = SystemMetricsWriter(instanceID: identity.id)
        do {
            try await live.connection.run { try writer.write(minutes, session: $0) }
        } catch {
            shared.withLock { $0.systemMetrics.putBack(minutes) }
            throw error
        }
    }
}
