import Testing

@testable import TokenVerification

/// The verified-token cache: bounded, entries expire with their token, rejections are never stored.
@Suite struct VerifiedTokenCacheTests {
    static func key(_ text: String) -> VerifiedTokenCache.Key { VerifiedTokenCache.key(Array(text.utf8)) }

    @Test func entriesExpireWithTheirToken() {
        let cache = VerifiedTokenCache(capacity: 10)
        cache.store(Self.key("a"), .init(userID: "alice", validUntil: 100), now: 0)
        #expect(cache.lookup(Self.key("a"), now: 100)?.userID == "alice")
        #expect(cache.lookup(Self.key("a"), now: 100.5) == nil)
        #expect(cache.count == 0)
        #expect(cache.lookup(Self.key("b"), now: 0) == nil)
    }

    @Test func staysWithinItsCapacity() {
        let cache = VerifiedTokenCache(capacity: 100)
        for index in 0..<1000 {
            cache.store(Self.key("token-\(index)"), .init(userID: "u\(index)", validUntil: 10_000), now: Double(index))
            #expect(cache.count <= 100)
        }
        #expect(cache.count == 100)
        #expect(cache.lookup(Self.key("token-999"), now: 999)?.userID == "u999", "the newest entry is kept")
    }

    @Test func expiredEntriesMakeRoomFirst() {
        let cache = VerifiedTokenCache(capacity: 3)
        cache.store(Self.key("old"), .init(userID: "old", validUntil: 5), now: 0)
        cache.store(Self.key("a"), .init(userID: "a", validUntil: 100), now: 0)
        cache.store(Self.key("b"), .init(userID: "b", validUntil: 100), now: 0)
        cache.store(Self.key("c"), .init(userID: "c", validUntil: 100), now: 10)
        #expect(cache.lookup(Self.key("a"), now: 10)?.userID == "a")
        #expect(cache.lookup(Self.key("b"), now: 10)?.userID == "b")
        #expect(cache.lookup(Self.key("c"), now: 10)?.userID == "c")
    }
}
