import ActivityRules
import Dispatch
import Foundation
import Logging
import Testing

@testable import ProxyCore

/// SIGHUP and the file watch reload concurrently; the file's newest content must win.
@Suite struct RulesReloaderTests {
    static let initial = RulesFixture.generateRule + "\n# initial\n"

    /// Reload A reads `older` and is held while compiling it; meanwhile the file gets `newer` and
    /// reload B runs to the end; then A finishes. Returns B's result and the hash in force after
    /// B and after A. Semaphores order the steps, so the race is the same on every run.
    static func race(older: String, newer: String) throws -> (reloaded: Bool, afterNewer: String, afterBoth: String) {
        let fixture = try RulesFixture(initial)
        defer { fixture.remove() }
        let tracker = ActivityTracker(policy: try fixture.policy()) { _ in }
        let compiling = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        var reloader = RulesReloader(path: fixture.path, tracker: tracker, logger: Logger(label: "test"))
        reloader.compile = { text, path throws(RulesError) in
            let rules = try RuleSet(yaml: text, file: path)
            if text == older {
                compiling.signal()
                _ = proceed.wait(timeout: .now() + 120)
            }
            return rules
        }
        try fixture.write(older)
        let finished = DispatchSemaphore(value: 0)
        let slow = reloader
        Thread.detachNewThread {
            _ = slow.reload(reason: "sighup")
            finished.signal()
        }
        try #require(compiling.wait(timeout: .now() + 120) == .success)

        try fixture.write(newer)
        let reloaded = reloader.reload(reason: "file changed")
        let afterNewer = tracker.currentPolicy.rules.hash
        proceed.signal()
        try #require(finished.wait(timeout: .now() + 120) == .success)
        return (reloaded, afterNewer, tracker.currentPolicy.rules.hash)
    }

    static func hash(_ yaml: String) throws -> String { try RuleSet(yaml: yaml, file: "rules.yaml").hash }

    /// A read older than the one in force must not replace it: the newest file stays installed.
    @Test func racingReloadsEndWithTheNewestFileInstalled() throws {
        let result = try Self.race(older: RulesFixture.shareRule, newer: RulesFixture.generateRule)
        #expect(result.reloaded)
        #expect(result.afterNewer == (try Self.hash(RulesFixture.generateRule)))
        #expect(result.afterBoth == (try Self.hash(RulesFixture.generateRule)))
    }

    /// A later read that finds the rules already in force still counts: an older read finishing
    /// after it does not replace them.
    @Test func anOlderReadDoesNotReplaceAnUnchangedNewerOne() throws {
        let result = try Self.race(older: RulesFixture.shareRule, newer: Self.initial)
        #expect(!result.reloaded)
        #expect(result.afterBoth == (try Self.hash(Self.initial)))
    }
}
