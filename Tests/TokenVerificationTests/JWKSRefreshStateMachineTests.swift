import Testing

@testable import TokenVerification

/// The refresher's schedule, event by event, without sockets or sleeps.
@Suite struct JWKSRefreshStateMachineTests {
    let start = ContinuousClock.now

    func machine() -> JWKSRefreshStateMachine {
        JWKSRefreshStateMachine(now: start, refreshInterval: .seconds(3600), minRefreshInterval: .seconds(60), initialBackoff: .seconds(1), maximumBackoff: .seconds(300))
    }

    @Test func fetchesAtStartThenOnTheInterval() {
        var machine = machine()
        #expect(!machine.hasKeys)
        let fetch1 = machine.tick(now: start, unknownKid: false)
        #expect(fetch1)
        machine.fetchSucceeded(now: start + .seconds(1))
        #expect(machine.state == .loaded(fetchedAt: start + .seconds(1), nextFetch: start + .seconds(3601)))
        #expect(machine.hasKeys)
        let fetch2 = machine.tick(now: start + .seconds(3600), unknownKid: false)
        #expect(!fetch2)
        let fetch3 = machine.tick(now: start + .seconds(3601), unknownKid: false)
        #expect(fetch3)
    }

    @Test func backsOffWhileTheFirstLoadFails() {
        var machine = machine()
        var now = start
        let fetch4 = machine.tick(now: now, unknownKid: false)
        #expect(fetch4)
        var waits: [Duration] = []
        for _ in 0..<12 {
            machine.fetchFailed(now: now)
            waits.append(machine.nextFetch - now)
            let fetch5 = machine.tick(now: machine.nextFetch - .milliseconds(1), unknownKid: true)
            #expect(!fetch5, "an unknown kid does not hurry a set that never loaded")
            now = machine.nextFetch
            let fetch6 = machine.tick(now: now, unknownKid: false)
            #expect(fetch6)
        }
        #expect(waits.prefix(5) == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        #expect(waits.last == .seconds(300))
        #expect(machine.state == .loading(failures: 12, nextFetch: now))
        machine.fetchSucceeded(now: now)
        #expect(machine.hasKeys)
    }

    @Test func aFailedRefreshKeepsTheKeysAndRetriesWithBackoff() {
        var machine = machine()
        _ = machine.tick(now: start, unknownKid: false)
        machine.fetchSucceeded(now: start)
        let due = start + .seconds(3600)
        let fetch7 = machine.tick(now: due, unknownKid: false)
        #expect(fetch7)
        machine.fetchFailed(now: due)
        #expect(machine.state == .failed(failures: 1, fetchedAt: start, nextFetch: due + .seconds(1)))
        #expect(machine.hasKeys)
        _ = machine.tick(now: due + .seconds(1), unknownKid: false)
        machine.fetchFailed(now: due + .seconds(1))
        #expect(machine.state == .failed(failures: 2, fetchedAt: start, nextFetch: due + .seconds(3)))
        _ = machine.tick(now: due + .seconds(3), unknownKid: false)
        machine.fetchSucceeded(now: due + .seconds(3))
        #expect(machine.state == .loaded(fetchedAt: due + .seconds(3), nextFetch: due + .seconds(3603)))
    }

    @Test func unknownKidRefreshesEarlyAtMostOncePerMinimumInterval() {
        var machine = machine()
        _ = machine.tick(now: start, unknownKid: false)
        machine.fetchSucceeded(now: start)
        let fetch8 = machine.tick(now: start + .seconds(30), unknownKid: true)
        #expect(!fetch8, "too soon after the last fetch")
        let fetch9 = machine.tick(now: start + .seconds(59), unknownKid: false)
        #expect(!fetch9)
        let fetch10 = machine.tick(now: start + .seconds(60), unknownKid: false)
        #expect(fetch10, "the unknown kid seen at 30 s is remembered")
        machine.fetchSucceeded(now: start + .seconds(61))
        let fetch11 = machine.tick(now: start + .seconds(100), unknownKid: false)
        #expect(!fetch11, "nothing pending once fetched")
        let fetch12 = machine.tick(now: start + .seconds(100), unknownKid: true)
        #expect(!fetch12)
        let fetch13 = machine.tick(now: start + .seconds(120), unknownKid: false)
        #expect(fetch13)
        let fetch14 = machine.tick(now: start + .seconds(121), unknownKid: false)
        #expect(!fetch14)
    }

    @Test func backoffNeverExceedsTheRefreshInterval() {
        let machine = JWKSRefreshStateMachine(now: start, refreshInterval: .seconds(10), minRefreshInterval: .zero)
        #expect(machine.backoff(failures: 1) == .seconds(1))
        #expect(machine.backoff(failures: 4) == .seconds(8))
        #expect(machine.backoff(failures: 5) == .seconds(10))
        #expect(machine.backoff(failures: 1000) == .seconds(10))
    }
}
