import Foundation
import Testing
@testable import Ingest

/// The writer's database loop without I/O: connections are numbers, time is an offset from `t0`.
typealias LoopMachine = WriterLoopStateMachine<Int>

private let refused = DatabaseFailure(kind: .connection, summary: "connection refused", detail: "connect: connection refused")
private let missingTable = DatabaseFailure(kind: .statement, summary: "statement failed (SQLSTATE 42P01)", detail: "relation \"activity\" does not exist")
private let permission = DatabaseFailure(kind: .statement, summary: "statement failed (SQLSTATE 42501)", detail: "permission denied")

/// A machine and a clock, driven event by event.
private struct Driver {
    var machine: LoopMachine
    var random = SeededGenerator(state: 42)
    let t0 = ContinuousClock.now

    init(migrateOnStart: Bool = true, flushTimeout: Duration = .seconds(5)) {
        machine = LoopMachine(configuration: .init(
            initialBackoff: .milliseconds(100), maxBackoff: .seconds(2), migrateOnStart: migrateOnStart, replayChunk: 5,
            idleTick: .milliseconds(10), flushTimeout: flushTimeout, heartbeatInterval: .seconds(5)))
    }

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    var state: LoopMachine.State { machine.state }

    /// Connected on connection 1 at `t0`, first heartbeat published: looking for a segment.
    static func live() -> Driver {
        var driver = Driver()
        #expect(driver.machine.start() == .connect(migrate: true))
        #expect(driver.machine.connected(1, now: driver.t0) == .publishHeartbeat(1, pruneStale: true))
        #expect(driver.machine.heartbeatPublished(now: driver.t0) == .startReplay(1))
        return driver
    }

    /// Live, replaying segment 7 of `count` records; its first chunk is pending.
    static func replaying(count: Int = 12) -> (Driver, [ActivityRecord]) {
        var driver = live()
        let records = (0..<count).map { makeRecord($0) }
        _ = driver.machine.replayStarted(segment: 7, records: records, now: driver.t0)
        return (driver, records)
    }

    mutating func connectFailed(at milliseconds: Int) -> LoopMachine.Action {
        let now = at(milliseconds)
        return machine.connectFailed(refused, now: now, random: &random)
    }

    mutating func closed(at milliseconds: Int) -> LoopMachine.Action {
        let now = at(milliseconds)
        return machine.closed(now: now, random: &random)
    }
}

@Suite struct WriterLoopStateMachineTests {
    // MARK: Connecting and backing off

    @Test func startsByConnectingAndMigratingWhenAsked() {
        let driver = Driver()
        #expect(driver.machine.start() == .connect(migrate: true))
        #expect(driver.state == .connecting(attempt: 1))
        let unmigrated = Driver(migrateOnStart: false)
        #expect(unmigrated.machine.start() == .connect(migrate: false))
    }

    @Test func connectFailuresBackOffWithGrowingJitteredDelaysUpToTheCap() {
        var driver = Driver()
        _ = driver.machine.start()
        var now = driver.t0
        var ceilings: [Duration] = []
        for attempt in 1...9 {
            #expect(driver.state == .connecting(attempt: attempt))
            let ceiling = driver.machine.backoff.ceiling
            ceilings.append(ceiling)
            guard case .waitToReconnect(refused, let delay, let until) = driver.machine.connectFailed(refused, now: now, random: &driver.random) else {
                Issue.record("expected waitToReconnect in \(driver.state)")
                return
            }
            #expect(delay >= ceiling / 2 && delay <= ceiling, "equal jitter: half the ceiling plus a random part of the other half")
            #expect(until == now + delay)
            #expect(driver.state == .backingOff(until: until, attempt: attempt + 1))
            // Woken early (a spurious wake-up): sleep on; on time: connect.
            #expect(driver.machine.woke(now: until - .milliseconds(1)) == .sleep(until: until))
            #expect(driver.machine.woke(now: until) == .connect(migrate: true), "not migrated yet")
            now = until
        }
        #expect(ceilings == [100, 200, 400, 800, 1_600, 2_000, 2_000, 2_000, 2_000].map { Duration.milliseconds($0) })
        // A success starts the backoff again from the initial delay.
        _ = driver.machine.connected(1, now: now)
        #expect(driver.machine.backoff.failures == 0)
        #expect(driver.machine.backoff.ceiling == .milliseconds(100))
    }

    // MARK: Live

    @Test func anIdleConnectionSleepsOneTickAndPublishesAHeartbeatEveryInterval() {
        var driver = Driver.live()
        #expect(driver.machine.noSegmentToReplay(now: driver.t0) == .writeBatch(1, force: false))
        #expect(driver.machine.queueIdle(now: driver.at(1)) == .sleep(until: driver.at(11)))
        #expect(driver.machine.woke(now: driver.at(11)) == .startReplay(1), "no heartbeat before the interval")
        _ = driver.machine.noSegmentToReplay(now: driver.at(11))
        _ = driver.machine.queueIdle(now: driver.at(12))
        #expect(driver.machine.woke(now: driver.at(5_000)) == .publishHeartbeat(1, pruneStale: false), "stale rows were pruned at the first")
        #expect(driver.machine.heartbeatPublished(now: driver.at(5_001)) == .startReplay(1))
        _ = driver.machine.noSegmentToReplay(now: driver.at(5_001))
        _ = driver.machine.queueIdle(now: driver.at(5_001))
        #expect(driver.machine.woke(now: driver.at(10_000)) == .startReplay(1), "due 5s after the last heartbeat, not the first")
    }

    @Test func staleHeartbeatRowsArePrunedOncePerPruneInterval() {
        var driver = Driver.live()
        var pruned: [Int] = []
        for second in stride(from: 5, through: 7_300, by: 5) {
            _ = driver.machine.noSegmentToReplay(now: driver.at(second * 1_000 - 5_000))
            _ = driver.machine.queueIdle(now: driver.at(second * 1_000 - 5_000))
            guard case .publishHeartbeat(1, let prune) = driver.machine.woke(now: driver.at(second * 1_000)) else {
                Issue.record("expected a heartbeat at \(second)s")
                return
            }
            if prune { pruned.append(second) }
            _ = driver.machine.heartbeatPublished(now: driver.at(second * 1_000))
        }
        #expect(pruned == [3_600, 7_200])
    }

    @Test func queueBatchesFollowEachOtherWithoutSleeping() {
        var driver = Driver.live()
        _ = driver.machine.noSegmentToReplay(now: driver.t0)
        #expect(driver.machine.batchWritten(rows: 500, now: driver.at(1)) == .startReplay(1), "a written batch starts a new turn")
        #expect(driver.machine.noSegmentToReplay(now: driver.at(1)) == .writeBatch(1, force: false))
        #expect(driver.machine.batchWritten(rows: 500, now: driver.at(2)) == .startReplay(1))
        _ = driver.machine.noSegmentToReplay(now: driver.at(2))
        #expect(driver.machine.queueIdle(now: driver.at(2)) == .sleep(until: driver.at(12)))
    }

    @Test func aSegmentIsReplayedInOrderInChunksAlternatingWithQueueBatches() {
        var driver = Driver.live()
        let records = (0..<12).map { makeRecord($0) }
        var replayed: [ActivityRecord] = []
        var completed: [UInt64] = []
        var action = driver.machine.replayStarted(segment: 7, records: records, now: driver.t0)
        for turn in 0..<3 {
            guard case .writeReplay(1, let chunk, let completing) = action else {
                Issue.record("turn \(turn): expected writeReplay, got \(action)")
                return
            }
            replayed += chunk
            if let completing { completed.append(completing) }
            if turn < 2 { #expect(driver.state == .replaying(.init(connection: 1, heartbeatDue: driver.t0 + .seconds(5), step: .writingReplay), .init(segment: 7, records: records, offset: turn * 5))) }
            #expect(driver.machine.replayWritten(now: driver.at(turn)) == .writeBatch(1, force: false), "the queue moves between chunks")
            // Whether or not a queue batch was due, the next chunk follows.
            action = turn.isMultiple(of: 2) ? driver.machine.queueIdle(now: driver.at(turn)) : driver.machine.batchWritten(rows: 3, now: driver.at(turn))
        }
        #expect(replayed == records)
        #expect(completed == [7], "only the last chunk deletes the segment")
        #expect(action == .startReplay(1), "then the next segment")
        guard case .live(let live) = driver.state else { Issue.record("\(driver.state)"); return }
        #expect(live.step == .startingReplay)
    }

    @Test func anEmptySegmentIsFinishedAtOnce() {
        var driver = Driver.live()
        #expect(driver.machine.replayStarted(segment: 3, records: [], now: driver.t0) == .writeReplay(1, records: [], completing: 3))
        #expect(driver.machine.replayWritten(now: driver.t0) == .writeBatch(1, force: false))
        #expect(driver.machine.queueIdle(now: driver.t0) == .startReplay(1), "a replayed segment counts as work: no sleep")
    }

    @Test func aHeartbeatDueDuringAReplayComesBetweenChunks() {
        var (driver, records) = Driver.replaying(count: 12)
        _ = driver.machine.replayWritten(now: driver.at(1))
        #expect(driver.machine.batchWritten(rows: 1, now: driver.at(5_000)) == .publishHeartbeat(1, pruneStale: false))
        #expect(driver.machine.heartbeatPublished(now: driver.at(5_001)) == .writeReplay(1, records: records[5..<10], completing: nil))
    }

    // MARK: Failures

    enum FailingStep: String, CaseIterable, Sendable { case replayChunk, batchWhileReplaying, batch, heartbeatWhileReplaying, heartbeat }

    /// A lost connection at any step: close (giving an interrupted replay back to the spool), back
    /// off, connect again without migrating, and publish a heartbeat first on the new connection.
    @Test(arguments: FailingStep.allCases)
    func aLostConnectionClosesBacksOffAndReconnects(step: FailingStep) {
        var (driver, _) = Driver.replaying()
        var replaying = true
        let action: LoopMachine.Action
        switch step {
        case .replayChunk:
            action = driver.machine.writeFailed(refused, now: driver.at(1))
        case .batchWhileReplaying:
            _ = driver.machine.replayWritten(now: driver.at(1))
            action = driver.machine.writeFailed(refused, now: driver.at(1))
        case .batch:
            driver = Driver.live()
            replaying = false
            _ = driver.machine.noSegmentToReplay(now: driver.t0)
            action = driver.machine.writeFailed(refused, now: driver.at(1))
        case .heartbeatWhileReplaying:
            _ = driver.machine.replayWritten(now: driver.at(1))
            _ = driver.machine.queueIdle(now: driver.at(5_000))
            action = driver.machine.heartbeatFailed(refused, now: driver.at(5_000))
        case .heartbeat:
            driver = Driver.live()
            replaying = false
            _ = driver.machine.noSegmentToReplay(now: driver.t0)
            _ = driver.machine.queueIdle(now: driver.t0)
            _ = driver.machine.woke(now: driver.at(5_000))
            action = driver.machine.heartbeatFailed(refused, now: driver.at(5_000))
        }
        #expect(action == .close(1, abandonReplay: replaying, reason: .failed(refused)))
        guard case .waitToReconnect(refused, _, let until) = driver.closed(at: 5_001) else { Issue.record("\(driver.state)"); return }
        #expect(driver.state == .backingOff(until: until, attempt: 2))
        #expect(driver.machine.woke(now: until) == .connect(migrate: false))
        #expect(driver.machine.connected(2, now: until) == .publishHeartbeat(2, pruneStale: false))
        #expect(driver.machine.heartbeatPublished(now: until) == .startReplay(2), "the abandoned segment is looked for again")
    }

    /// Migrations run on the first connection only, and again after a statement error (a table
    /// dropped behind the writer's back), when `migrate_on_start`.
    @Test(arguments: [(refused, true, false), (missingTable, true, true), (missingTable, false, false)])
    func aReconnectionMigratesOnlyAfterAStatementFailure(failure: DatabaseFailure, migrateOnStart: Bool, migratesAgain: Bool) {
        var driver = Driver(migrateOnStart: migrateOnStart)
        _ = driver.machine.start()
        _ = driver.machine.connected(1, now: driver.t0)
        _ = driver.machine.heartbeatPublished(now: driver.t0)
        _ = driver.machine.noSegmentToReplay(now: driver.t0)
        #expect(driver.machine.writeFailed(failure, now: driver.at(1)) == .close(1, abandonReplay: false, reason: .failed(failure)))
        guard case .waitToReconnect(failure, _, let until) = driver.closed(at: 2) else { Issue.record("\(driver.state)"); return }
        #expect(driver.machine.woke(now: until) == .connect(migrate: migratesAgain))
    }

    @Test func aHeartbeatRefusedForAnyOtherReasonChangesNothingElse() {
        var driver = Driver()
        _ = driver.machine.start()
        _ = driver.machine.connected(1, now: driver.t0)
        #expect(driver.machine.heartbeatFailed(permission, now: driver.t0) == .startReplay(1))
        _ = driver.machine.noSegmentToReplay(now: driver.t0)
        _ = driver.machine.queueIdle(now: driver.t0)
        #expect(driver.machine.woke(now: driver.at(4_999)) == .startReplay(1), "the next one waits a whole interval")
        _ = driver.machine.noSegmentToReplay(now: driver.at(4_999))
        _ = driver.machine.queueIdle(now: driver.at(4_999))
        #expect(driver.machine.woke(now: driver.at(5_000)) == .publishHeartbeat(1, pruneStale: false))
        #expect(driver.machine.migrated, "a refused heartbeat does not ask for migrations")
    }

    // MARK: Shutdown and cancellation

    /// Every state the loop can be in when shutdown or cancellation is reported.
    enum Situation: String, CaseIterable, Sendable {
        case connecting, backingOff, heartbeat, lookingForSegment, writingBatch, idle
        case replayingChunk, replayingBatch, draining, closingAfterFailure, stopped

        fileprivate var driver: Driver {
            var driver = Driver.live()
            switch self {
            case .connecting:
                driver = Driver()
                _ = driver.machine.start()
            case .backingOff:
                driver = Driver()
                _ = driver.machine.start()
                _ = driver.connectFailed(at: 0)
            case .heartbeat:
                driver = Driver()
                _ = driver.machine.start()
                _ = driver.machine.connected(1, now: driver.t0)
            case .lookingForSegment:
                break
            case .writingBatch:
                _ = driver.machine.noSegmentToReplay(now: driver.t0)
            case .idle:
                _ = driver.machine.noSegmentToReplay(now: driver.t0)
                _ = driver.machine.queueIdle(now: driver.t0)
            case .replayingChunk:
                driver = Driver.replaying().0
            case .replayingBatch:
                driver = Driver.replaying().0
                _ = driver.machine.replayWritten(now: driver.t0)
            case .draining:
                driver = Driver.replaying().0
                _ = driver.machine.shutdownRequested(now: driver.t0)
                _ = driver.machine.batchWritten(rows: 10, now: driver.at(1))
            case .closingAfterFailure:
                _ = driver.machine.noSegmentToReplay(now: driver.t0)
                _ = driver.machine.writeFailed(refused, now: driver.t0)
            case .stopped:
                _ = driver.machine.cancelled()
                _ = driver.closed(at: 0)
            }
            return driver
        }

        var connected: Bool { ![.connecting, .backingOff, .stopped].contains(self) }
        var replaying: Bool { [.replayingChunk, .replayingBatch, .draining].contains(self) }
    }

    /// Graceful shutdown: connected, the queue is drained (forced batches) and the connection
    /// closed, an interrupted replay given back; not connected, the loop ends at once. Never a
    /// reconnection afterwards.
    @Test(arguments: Situation.allCases)
    func shutdownDrainsWhenConnectedAndStopsOtherwise(situation: Situation) {
        var driver = situation.driver
        let action = driver.machine.shutdownRequested(now: driver.at(2))
        guard situation.connected else {
            #expect(action == .finish)
            #expect(driver.state == .stopped)
            return
        }
        if situation == .closingAfterFailure {
            #expect(action == .close(1, abandonReplay: false, reason: .failed(refused)))
            #expect(driver.closed(at: 3) == .finish, "no reconnection after shutdown")
            return
        }
        #expect(action == .writeBatch(1, force: true))
        #expect(driver.machine.shutdownRequested(now: driver.at(3)) == .writeBatch(1, force: true), "a second report changes nothing")
        #expect(driver.machine.batchWritten(rows: 7, now: driver.at(4)) == .writeBatch(1, force: true))
        let rows = situation == .draining ? 17 : 7
        #expect(driver.machine.queueIdle(now: driver.at(5)) == .close(1, abandonReplay: situation.replaying, reason: .drained(rows: rows, complete: true)))
        #expect(driver.closed(at: 6) == .finish)
        #expect(driver.state == .stopped)
    }

    /// Cancellation: close at once (nothing more is written) and stop.
    @Test(arguments: Situation.allCases)
    func cancellationClosesAndStops(situation: Situation) {
        var driver = situation.driver
        let action = driver.machine.cancelled()
        switch situation {
        case .connecting, .backingOff, .stopped:
            #expect(action == .finish)
            return
        case .closingAfterFailure:
            #expect(action == .close(1, abandonReplay: false, reason: .failed(refused)))
        case .draining:
            #expect(action == .close(1, abandonReplay: true, reason: .drained(rows: 10, complete: false)))
        default:
            #expect(action == .close(1, abandonReplay: situation.replaying, reason: .stopped))
        }
        #expect(driver.machine.shutdownRequested(now: driver.at(1)) == action, "shutdown after cancellation: still closing")
        #expect(driver.closed(at: 1) == .finish)
    }

    @Test func drainingStopsAtTheDeadlineOrAFailedWrite() {
        var driver = Driver.live()
        #expect(driver.machine.shutdownRequested(now: driver.t0) == .writeBatch(1, force: true))
        #expect(driver.machine.batchWritten(rows: 5_000, now: driver.at(4_999)) == .writeBatch(1, force: true))
        #expect(driver.machine.batchWritten(rows: 5_000, now: driver.at(5_000)) == .close(1, abandonReplay: false, reason: .drained(rows: 10_000, complete: false)))

        var failing = Driver.live()
        _ = failing.machine.shutdownRequested(now: failing.t0)
        _ = failing.machine.batchWritten(rows: 3, now: failing.at(1))
        #expect(failing.machine.writeFailed(refused, now: failing.at(2)) == .close(1, abandonReplay: false, reason: .drainFailed(refused, rows: 3)))
        #expect(failing.closed(at: 3) == .finish, "a failed drain does not reconnect")
    }

    @Test func aZeroFlushTimeoutClosesAtOnce() {
        var driver = Driver(flushTimeout: .zero)
        _ = driver.machine.start()
        _ = driver.machine.connected(1, now: driver.t0)
        #expect(driver.machine.shutdownRequested(now: driver.t0) == .close(1, abandonReplay: false, reason: .stopped))
        #expect(driver.closed(at: 1) == .finish)
    }
}
