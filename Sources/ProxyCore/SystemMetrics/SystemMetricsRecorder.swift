import Foundation
import Ingest
import Logging
import ServiceLifecycle

/// Every `ingest.system_metrics_interval`, harvests the proxy's traffic counters and hands the
/// minute to the writer, which adds its own figures and stores it with its next heartbeat.
///
/// Runs as a `Service` beside the proxy; on graceful shutdown it harvests once more, so the last
/// part-minute is not lost (the writer, stopping after it, still writes it if connected).
struct SystemMetricsRecorder: Service {
    let traffic: TrafficCounters
    let writer: ActivityWriter
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    break
                }
                writer.recordSystemMinute(await traffic.harvest())
            }
        }
        writer.recordSystemMinute(await traffic.harvest())
    }
}
