import ConfigValues
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import Analytics

@Suite struct TokenBucketTests {
    @Test func aFullBucketLetsTheBurstThroughThenRefillsAtTheRate() {
        var bucket = TokenBucket(RateLimit(requestsPerSecond: 2, burst: 3), now: 100)
        #expect((0..<3).map { _ in bucket.take(now: 100) } == [nil, nil, nil])
        #expect(bucket.take(now: 100) == 1)  // half a second to the next one: Retry-After 1
        #expect(bucket.take(now: 100.5) == nil)
        #expect(bucket.take(now: 100.5) == 1)
        #expect(bucket.take(now: 1_000) == nil)  // idle: back to full, never above
        #expect(bucket.available == 2)
    }

    @Test func aSlowRateSaysHowLongToWait() {
        var bucket = TokenBucket(RateLimit(requestsPerSecond: 0.1, burst: 1), now: 0)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == 10)
        #expect(bucket.take(now: 4) == 6)
    }

    @Test func aClockGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(RateLimit(requestsPerSecond: 1, burst: 1), now: 50)
        #expect(bucket.take(now: 50) == nil)
        #expect(bucket.take(now: 10) == 1)
    }
}

@Suite struct RateLimitConfigurationTests {
    @Test func userTokensHaveTheDefaultLimitAdminsNoneUnlessGiven() {
        let admin = AnalyticsConfiguration.Token(token: Secret("admin-token-0123456789"), role: .admin)
        let limitedAdmin = AnalyticsConfiguration.Token(
            token: Secret("admin-token-9876543210"), role: .admin, rateLimit: RateLimit(requestsPerSecond: 1, burst: 2))
        let user = AnalyticsConfiguration.Token(token: Secret("alice-token-0123456789"), role: .user, userID: "alice")
        var configuration = AnalyticsConfiguration(tokens: [admin, limitedAdmin, user])
        #expect(configuration.limit(of: admin) == nil)
        #expect(configuration.limit(of: limitedAdmin) == RateLimit(requestsPerSecond: 1, burst: 2))
        #expect(configuration.limit(of: user) == RateLimit.userDefault)
        configuration.rateLimit.requestsPerSecond = 0
        #expect(configuration.limit(of: user) == nil)
    }

    @Test func outOfRangeValuesAreProblemsNamingTheirKey() {
        var configuration = AnalyticsConfiguration()
        configuration.rateLimit = RateLimit(requestsPerSecond: -1, burst: 0)
        configuration.tokens = [.init(token: Secret("admin-token-0123456789"), role: .admin, rateLimit: RateLimit(requestsPerSecond: .nan, burst: 5))]
        let keys = configuration.problems().map(\.keyPath)
        #expect(keys.contains("rate_limit.requests_per_second"))
        #expect(keys.contains("rate_limit.burst"))
        #expect(keys.contains("tokens[0].rate_limit.requests_per_second"))
    }
}

@Suite struct RateLimitHTTPTests {
    /// A token over its limit gets 429 with `Retry-After` and a problem body; another token is
    /// not affected; an admin token without a limit of its own is never limited.
    @Test func aTokenOverItsLimitGets429() async throws {
        let alice = "alice-token-0123456789"
        let bob = "bob-token-0123456789ab"
        let admin = "admin-token-0123456789"
        var configuration = AnalyticsConfiguration(tokens: [
            .init(token: Secret(admin), role: .admin),
            .init(token: Secret(alice), role: .user, userID: "alice"),
            .init(token: Secret(bob), role: .user, userID: "bob"),
        ])
        configuration.rateLimit = RateLimit(requestsPerSecond: 0.01, burst: 2)
        // No database: the refused requests never reach one, and the others answer 503.
        let pool = ConnectionPool(url: Secret("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"), logger: testLogger)
        let api = AnalyticsAPI(configuration: configuration, pool: pool, logger: testLogger)
        let router = Router()
        addAnalyticsRoutes(to: router, api: api)
        try await Application(router: router, logger: testLogger).test(.live) { client in
            let path = "/api/v1/analytics/user-activity/"
            for _ in 0..<2 { #expect(try await get(client, path, token: alice).status != .tooManyRequests) }
            let refused = try await get(client, path, token: alice)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(refused.headers[.contentType] == "application/problem+json; charset=utf-8")
            #expect(refused.json["type"] as? String == "urn:trackingproxy:problem:rate-limited")
            #expect(refused.json["status"] as? Int == 429)
            #expect(try await get(client, path, token: bob).status != .tooManyRequests)
            for _ in 0..<5 { #expect(try await get(client, path, token: admin).status != .tooManyRequests) }
        }
        await pool.close()
    }
}
