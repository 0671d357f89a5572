import ConfigValues
import Testing
@testable import Analytics

/// The webhook's retry state machine, event by event, without sockets or clock.
@Suite struct WebhookRetryTests {
    @Test func failingTwiceThenSucceedingWaitsTwiceWithDoublingDelays() {
        var machine = WebhookRetry(maxAttempts: 5, retryDelay: .seconds(10))
        #expect(machine.start() == .post(attempt: 1))
        #expect(machine.failed("HTTP 500") == .wait(.seconds(10), thenAttempt: 2))
        #expect(machine.waited() == .post(attempt: 2))
        #expect(machine.failed("HTTP 502") == .wait(.seconds(20), thenAttempt: 3))
        #expect(machine.waited() == .post(attempt: 3))
        #expect(machine.succeeded() == .delivered(attempt: 3))
    }

    @Test func givesUpAfterTheLastAttemptWithItsFailure() {
        var machine = WebhookRetry(maxAttempts: 3, retryDelay: .seconds(1))
        #expect(machine.start() == .post(attempt: 1))
        #expect(machine.failed("a") == .wait(.seconds(1), thenAttempt: 2))
        #expect(machine.waited() == .post(attempt: 2))
        #expect(machine.failed("b") == .wait(.seconds(2), thenAttempt: 3))
        #expect(machine.waited() == .post(attempt: 3))
        #expect(machine.failed("connection refused") == .gaveUp(attempts: 3, lastFailure: "connection refused"))
    }

    @Test func oneAttemptMeansNoRetry() {
        var machine = WebhookRetry(maxAttempts: 0, retryDelay: .seconds(1))
        #expect(machine.start() == .post(attempt: 1))
        #expect(machine.failed("HTTP 404") == .gaveUp(attempts: 1, lastFailure: "HTTP 404"))
    }

    @Test(arguments: [(1, 10), (2, 20), (3, 40), (9, 2_560), (10, 3_600), (1_000_000, 3_600)])
    func delaysDoubleUpToTheCap(attempt: Int, seconds: Int64) {
        let machine = WebhookRetry(maxAttempts: 20, retryDelay: .seconds(10))
        #expect(machine.delay(after: attempt) == .seconds(seconds))
    }

    @Test func anUnusableURLIsRefusedBeforeAnyPost() {
        var reports = ReportsConfiguration()
        reports.webhookURL = .init("ftp://hooks.example.com/secret")
        #expect { try WebhookDelivery(configuration: reports, url: .init("ftp://hooks.example.com/secret"), logger: testLogger) } throws: { error in
            "\(error)" == "reports.webhook_url cannot be used: not an http:// or https:// URL; the report files are written; fix reports.webhook_url"
        }
    }

    /// The scheduler runs one job at a time: a failing webhook may hold the others back for at
    /// most 30 minutes, or the configuration is refused (20 attempts with a 1h cap once meant 19h).
    @Test func aRetryScheduleLongerThanHalfAnHourIsRefused() {
        let defaults = ReportsConfiguration()
        #expect(defaults.worstCaseDelivery == .seconds(200) && defaults.problems().isEmpty)
        var long = ReportsConfiguration()
        long.maxAttempts = 20
        long.retryDelay = .seconds(60)
        #expect(long.worstCaseDelivery > .seconds(1_800))
        let problems = long.problems()
        #expect(problems.map(\.keyPath) == ["max_attempts"] && problems.first?.message.contains("within 30m") == true, "\(problems)")
        var edge = ReportsConfiguration()
        edge.maxAttempts = 8
        edge.retryDelay = .seconds(10)
        edge.timeout = .seconds(10)
        // 8 × 10s + 10 + 20 + 40 + 80 + 160 + 320 + 640 = 1350s: allowed.
        #expect(edge.worstCaseDelivery == .seconds(1_350) && edge.problems().isEmpty)
    }
}
