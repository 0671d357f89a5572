import ActivityRules
import Foundation
import NIOPosix
import Testing

@testable import ProxyCore

/// The per-event-loop traffic counters behind `system_metrics`, filled by real proxied requests.
@Suite struct SystemMetricsTests {
    static let rulesWithException = RulesFixture.generateRule + """

        exceptions:
          - id: internal-reports
            reason: Reports the platform generates for itself are not user activity.
            match:
              path_prefixes: [/api/v1/reports/internal]
        """

    @Test func proxiedRequestsAreCountedByStatusClassWithLatencyBytesAndExclusions() async throws {
        let fixture = try RulesFixture(Self.rulesWithException)
        defer { fixture.remove() }
        let (tracker, recorded) = try fixture.recordingTracker()
        try await ProxyHarness.run(tracker: tracker, countsTraffic: true) { proxy in
            let traffic = try #require(proxy.traffic)
            let client = try await proxy.connect()
            try await client.send("POST /api/v1/reports/7/generate/ HTTP/1.1\r\nHost: reports\r\nContent-Length: 2\r\n\r\n{}")
            #expect(try await client.readResponse().status == 200)
            try await client.send("POST /api/v1/reports/internal/generate/ HTTP/1.1\r\nHost: reports\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            try await client.send("GET /status/204 HTTP/1.1\r\nHost: reports\r\n\r\n")
            #expect(try await client.readResponse().status == 204)
            try await client.send("GET /status/304 HTTP/1.1\r\nHost: reports\r\n\r\n")
            #expect(try await client.readResponse().status == 304)
            await client.close()
            try await recorded.wait(for: "the one recorded activity") { $0.count == 1 }

            let minute = await traffic.harvest()
            #expect(minute.requestsByClass == [0, 3, 1, 0, 0])
            #expect(minute.bytesIn == 2)
            #expect(minute.bytesOut > 0)
            #expect(minute.upstreamErrors == 0 && minute.upstreamTimeouts == 0)
            #expect(minute.exclusions == ["internal-reports": 1])
            let p50 = try #require(minute.latencyP50Ms)
            let p99 = try #require(minute.latencyP99Ms)
            #expect(p50 > 0 && p50 <= p99)
            // A harvest takes and resets: the next one starts from zero.
            let next = await traffic.harvest()
            #expect(next.requests == 0 && next.exclusions.isEmpty && next.latencyP50Ms == nil)
        }
    }

    @Test func anUnreachableUpstreamIsAnUpstreamErrorAndA502() async throws {
        try await ProxyHarness.run(backend: .closedPort, countsTraffic: true) { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /x HTTP/1.1\r\nHost: reports\r\n\r\n")
            #expect(try await client.readResponse().status == 502)
            await client.close()
            let minute = try await #require(proxy.traffic).harvest()
            #expect(minute.upstreamErrors == 1)
        }
    }

    @Test(arguments: [(Int64(0), 0), (Int64(10_000), 0), (Int64(1_000_000), 68), (Int64.max, 239)])
    func latencyBuckets(nanoseconds: Int64, bucket: Int) {
        #expect(LatencyHistogram.bucket(nanoseconds: nanoseconds) == bucket)
    }

    @Test func quantilesAreBucketUpperBounds() throws {
        var histogram = LatencyHistogram()
        for _ in 0..<99 { histogram.record(nanoseconds: 1_000_000) }
        histogram.record(nanoseconds: 500_000_000)
        let p50 = try #require(histogram.quantileMs(0.5))
        #expect(p50 >= 1 && p50 < 1.07 * 1.07)
        let p99 = try #require(histogram.quantileMs(0.99))
        #expect(p99 == p50)
        let top = try #require(histogram.quantileMs(1))
        #expect(top >= 500 && top < 500 * 1.08)
        #expect(LatencyHistogram().quantileMs(0.5) == nil)
    }
}
