import ConfigValues
import Foundation
import Logging
import ServiceLifecycle
import PostgreSQL

/// Prunes activity older than `retention.days` once at start and then every `retention.interval`,
/// for the analytics service (sidecars never prune). A failed prune is logged and tried again at
/// the next interval; it never stops the service. Stops at graceful shutdown (a prune in progress finishes first).
public struct RetentionService: Service {
    private let configuration: RetentionConfiguration
    private let databaseURL: Secret?
    private let logger: Logger

    /// - Precondition: `configuration.days` is set (do not run the service otherwise).
    public init(configuration: RetentionConfiguration, databaseURL: Secret?, logger: Logger) {
        precondition(configuration.days != nil, "RetentionService runs only when retention.days is set")
        self.configuration = configuration
        self.databaseURL = databaseURL
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            await pruneOnce()
            // Sleeping ends early at graceful shutdown or cancellation; either way, stop.
            let interval = configuration.interval.duration
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }

    /// One prune on its own connection; returns the report, or `nil` when it failed (logged).
    @discardableResult
    public func pruneOnce(now: Date = Date()) async -> PruneReport? {
        let cutoff = now.addingTimeInterval(-Double(configuration.days ?? 0) * 86_400)
        do {
            let connection = try await PostgresConnection.connect(url: databaseURL, applicationName: "trackingproxy-retention")
            let report: PruneReport
            do {
                report = try await ActivityStore(connection: connection).prune(olderThan: cutoff, now: now)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
            logger.info("retention: \(report.summary)", metadata: [
                "retention.removed_rows": "\(report.removedRows)",
                "retention.dropped_partitions": "\(report.droppedPartitions.map(\.name))",
            ])
            return report
        } catch {
            logger.warning("retention: prune failed; trying again at the next interval", metadata: ["error.message": "\(error)"])
            return nil
        }
    }
}
