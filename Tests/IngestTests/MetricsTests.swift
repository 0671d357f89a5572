import Foundation
import Metrics
import MetricsTestKit
import Testing
@testable import Ingest
@testable import PostgreSQL

/// The metrics backend of this test process: bootstrapped once, on first use.
let testMetrics: TestMetrics = {
    let metrics = TestMetrics()
    MetricsSystem.bootstrap(metrics)
    return metrics
}()

extension PostgresTests {
    @Test func writerReportsMetrics() async throws {
        let metrics = testMetrics
        let cluster = try TestCluster.current()
        let url = try await cluster.createDatabase()
        let rowsBefore = (try? metrics.expectCounter("ingest_rows_written_total").totalValue) ?? 0
        try await withWriter(makeConfiguration(url: url, spoolDir: temporarySpoolDirectory())) { writer in
            for index in 0..<100 { writer.record(makeRecord(index)) }
            var invalid = makeRecord(100)
            invalid.metadataJSON = "[]"
            writer.record(invalid)
            try await eventually("written") { writer.status().rowsWritten == 100 }
        }
        #expect(try metrics.expectCounter("ingest_rows_written_total").totalValue - rowsBefore == 100)
        #expect(try metrics.expectCounter("ingest_batches_total").totalValue >= 1)
        #expect(try metrics.expectCounter("ingest_dropped_total", [("reason", "invalid")]).totalValue >= 1)
        #expect(try metrics.expectTimer("ingest_batch_duration_seconds").lastValue ?? 0 > 0)
        #expect(try metrics.expectGauge("ingest_last_write_timestamp_seconds").lastValue ?? 0 > Date().timeIntervalSince1970 - 60)
        #expect(try metrics.expectGauge("ingest_queue_depth").lastValue == 0)
        #expect(try metrics.expectGauge("ingest_spool_bytes").lastValue == 0)
    }
}
