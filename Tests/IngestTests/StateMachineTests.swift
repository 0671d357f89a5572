import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

/// A deterministic generator for jitter (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct BackoffTests {
    @Test func growsWithJitterUpToTheMaximumAndResets() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        var random = SeededGenerator(state: 1)
        var ceilings: [Duration] = []
        for _ in 0..<8 {
            let ceiling = backoff.ceiling
            let delay = backoff.nextDelay(using: &random)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
            ceilings.append(ceiling)
        }
        #expect(ceilings.prefix(5) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600)])
        #expect(ceilings.last == .seconds(2))
        backoff.reset()
        #expect(backoff.ceiling == .milliseconds(100))
    }
}

@Suite struct SpoolSegmentsTests {
    let header = SpoolSegments.headerBytes
    let overhead = SpoolSegments.recordOverhead

    @Test func appendsRotatesAndSeals() {
        var segments = SpoolSegments(existing: [], maxBytes: 10_000, segmentBytes: 100, policy: .dropNewest)
        let first = segments.append(payloadBytes: 40)
        #expect(first == .init(seal: nil, evict: [], create: 1, segment: 1))
        #expect(segments.append(payloadBytes: 30) == .init(seal: nil, evict: [], create: nil, segment: 1))
        #expect(segments.append(payloadBytes: 30) == .init(seal: 1, evict: [], create: 2, segment: 2))
        #expect(segments.pendingRecords == 3)
        #expect(segments.totalBytes == 2 * header + 100 + 3 * overhead)
        #expect(segments.segments.map(\.sealed) == [true, false])
    }

    @Test func dropNewestRefusesPastMaxBytes() {
        var segments = SpoolSegments(existing: [], maxBytes: 100, segmentBytes: 1000, policy: .dropNewest)
        #expect(segments.append(payloadBytes: 60) != nil)
        #expect(segments.append(payloadBytes: 60) == nil)
        #expect(segments.pendingRecords == 1)
    }

    @Test func dropOldestEvictsSealedSegmentsButNotTheOneReplaying() {
        let existing = [
            SpoolSegments.Segment(id: 3, bytes: 100, records: 5, sealed: true),
            SpoolSegments.Segment(id: 4, bytes: 100, records: 6, sealed: true),
        ]
        var segments = SpoolSegments(existing: existing, maxBytes: 250, segmentBytes: 1000, policy: .dropOldest)
        #expect(segments.nextID == 5)
        let replay = segments.startReplay()
        #expect(replay?.segment == 3 && replay?.seal == false)
        let plan = segments.append(payloadBytes: 50)
        #expect(plan?.evict.map(\.id) == [4])
        #expect(plan?.create == 5)
        #expect(segments.segments.map(\.id) == [3, 5])
    }

    @Test func replaySealsTheActiveSegmentAndFinishes() {
        var segments = SpoolSegments(existing: [], maxBytes: 1000, segmentBytes: 1000, policy: .dropNewest)
        _ = segments.append(payloadBytes: 10)
        let replay = segments.startReplay()
        #expect(replay?.segment == 1 && replay?.seal == true)
        #expect(segments.startReplay() == nil, "one replay at a time")
        #expect(segments.append(payloadBytes: 10)?.create == 2, "appends go to a new segment once the old one is sealed")
        segments.finishReplay(segment: 1)
        #expect(segments.segments.map(\.id) == [2])
        #expect(segments.startReplay()?.segment == 2)
        segments.abandonReplay()
        #expect(segments.startReplay()?.segment == 2)
    }
}

@Suite struct RateLimitedLogTests {
    @Test func logsOncePerIntervalAndCountsTheRest() {
        var log = RateLimitedLog(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(log.event(at: start) == 1)
        #expect(log.event(at: start + .seconds(1)) == nil)
        #expect(log.event(at: start + .seconds(2)) == nil)
        #expect(log.event(at: start + .seconds(11)) == 3)
    }
}

@Suite struct MonthPartitionTests {
    @Test func namesAndBoundsAreUTCMonths() {
        let date = Date(timeIntervalSince1970: 1_798_761_599)  // 2026-12-31T23:59:59Z
        let month = MonthPartition(containing: date)
        #expect(month.name == "activity_2026_12")
        #expect(month.next.name == "activity_2027_01")
        #expect(month.createStatement.contains("FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')"))
        #expect(MonthPartition.window(from: date, count: 3).map(\.name) == ["activity_2026_12", "activity_2027_01", "activity_2027_02"])
    }

    @Test func agreesWithTheGregorianCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var random = SeededGenerator(state: 7)
        let samples: [Double] = [0, 951_782_400, 951_868_799, 4_107_542_399, 253_402_300_799] + (0..<2_000).map { _ in Double.random(in: 0...253_402_300_799, using: &random) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            let components = calendar.dateComponents([.year, .month], from: date)
            #expect(MonthPartition(containing: date) == MonthPartition(year: components.year!, month: components.month!), "\(date)")
        }
    }
}

@Suite struct BatchTakingTests {
    private func state(holding count: Int, enqueued: ContinuousClock.Instant) -> WriterState {
        var state = WriterState()
        for index in 0..<count { state.queue.append(WriterState.Queued(record: makeRecord(index), enqueued: enqueued)) }
        return state
    }

    @Test func waitsForSizeOrAge() {
        let now = ContinuousClock.now
        var young = state(holding: 99, enqueued: now)
        #expect(young.takeBatch(size: 100, maxSize: 500, maxAge: .milliseconds(200), now: now, force: false) == nil)
        #expect(young.takeBatch(size: 100, maxSize: 500, maxAge: .milliseconds(200), now: now + .milliseconds(200), force: false)?.records.count == 99)
        var full = state(holding: 100, enqueued: now)
        #expect(full.takeBatch(size: 100, maxSize: 500, maxAge: .milliseconds(200), now: now, force: false)?.records.count == 100)
    }

    @Test func aBacklogGoesOutInBatchesOfUpToMaxSizeInOrder() throws {
        let now = ContinuousClock.now
        var backlog = state(holding: 1_200, enqueued: now)
        var sizes: [Int] = []
        var requestIDs: [String?] = []
        while let batch = backlog.takeBatch(size: 100, maxSize: 500, maxAge: .seconds(1), now: now, force: false)?.records {
            sizes.append(batch.count)
            requestIDs += batch.map(\.requestID)
        }
        // The last 200 are a full batch by size; nothing is left behind.
        #expect(sizes == [500, 500, 200])
        #expect(requestIDs == (0..<1_200).map { "req-\($0)" })
        #expect(backlog.queue.isEmpty)
    }

    @Test func agedRecordsAndAHangingBatchGoToTheSpoolOnce() throws {
        let start = ContinuousClock.now
        var state = WriterState()
        for index in 0..<10 { state.queue.append(WriterState.Queued(record: makeRecord(index), enqueued: start)) }
        let inFlight = try #require(state.takeBatch(size: 1, maxSize: 4, maxAge: .seconds(1), now: start, force: false)?.records)
        #expect(inFlight.map(\.requestID) == ["req-0", "req-1", "req-2", "req-3"])
        for index in 10..<12 { state.queue.append(WriterState.Queued(record: makeRecord(index), enqueued: start + .seconds(2))) }

        // Nothing is older than the cutoff yet.
        let early = state.takeAged(enqueuedBefore: start)
        #expect(early.isEmpty)
        // Past it: a copy of the batch in flight, then the old queued records; the young ones stay.
        let aged = state.takeAged(enqueuedBefore: start + .seconds(1))
        #expect(aged.requestIDs == (0..<10).map { "req-\($0)" })
        #expect(state.queue.map(\.row).requestIDs == ["req-10", "req-11"])
        // The batch in flight is copied once, and its failure must not spool it again.
        let again = state.takeAged(enqueuedBefore: start + .seconds(1))
        #expect(again.isEmpty)
        let copied = state.finishBatch()
        #expect(copied)
        #expect(state.inFlight == nil)
        // A batch that finishes in time was never copied.
        _ = state.takeBatch(size: 1, maxSize: 10, maxAge: .seconds(1), now: start + .seconds(2), force: false)
        let copiedInTime = state.finishBatch()
        #expect(!copiedInTime)
    }
}
