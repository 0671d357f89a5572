import ActivityRules
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Reloads the rules file on SIGHUP and when the file changes (checked every `pollInterval` by
/// modification time and size, then by content hash), swapping the tracker's rules atomically.
///
/// An invalid file is refused: the old rules stay in force and the error is logged with its
/// location. Reloads may overlap (SIGHUP arrives while a file-change reload compiles); they are
/// ordered by when they read the file (`ReloadOrder`), so an older read finishing late never
/// replaces rules read later: the newest file stays installed. Metrics: `trackingproxy_rules_reload_total{result=success|failure}` and
/// `trackingproxy_rules_active{hash}` (1 for the rules in force).
struct RulesReloader: Service {
    let path: String
    let tracker: ActivityTracker
    var pollInterval: Duration = .seconds(1)
    let logger: Logger
    /// Compiles the text read from `path` (`RuleSet(yaml:file:)`); tests slow it down to race reloads.
    var compile: @Sendable (_ text: String, _ path: String) throws(RulesError) -> RuleSet = { text, path throws(RulesError) in
        try RuleSet(yaml: text, file: path)
    }
    /// Orders overlapping reloads; shared by copies of this reloader.
    let order = ReloadOrder()

    private static let successes = Counter(label: "trackingproxy_rules_reload_total", dimensions: [("result", "success")])
    private static let failures = Counter(label: "trackingproxy_rules_reload_total", dimensions: [("result", "failure")])

    /// Marks the rules in force in the `trackingproxy_rules_active` gauge.
    static func markActive(hash: String, previous: String?) {
        if let previous, previous != hash { Gauge(label: "trackingproxy_rules_active", dimensions: [("hash", previous)]).record(0) }
        Gauge(label: "trackingproxy_rules_active", dimensions: [("hash", hash)]).record(1)
    }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { _ = reload(reason: "sighup") }
            }
            group.addTask {
                var stamp = Self.stamp(of: path)
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    let current = Self.stamp(of: path)
                    if current != stamp, current != nil {
                        stamp = current
                        _ = reload(reason: "file changed")
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Loads the file and swaps it in when valid, different and not older than the rules in force.
    /// Returns whether rules changed. Safe to call concurrently; blocking file I/O.
    @discardableResult
    func reload(reason: String) -> Bool {
        let (ticket, text) = order.read { () throws(RulesError) in try RuleSet.read(path: path) }
        do {
            let rules = try compile(try text.get(), path)
            guard let previous = order.install(ticket: ticket, { () -> String? in
                let previous = tracker.currentPolicy.rules.hash
                guard rules.hash != previous else { return nil }
                tracker.replaceRules(rules)
                return previous
            }) else { return false }
            Self.successes.increment()
            Self.markActive(hash: rules.hash, previous: previous)
            logger.notice("rules reloaded", metadata: [
                "rules.file": "\(path)", "rules.hash": "\(rules.hash)", "rules.count": "\(rules.count)", "reason": "\(reason)",
            ])
            return true
        } catch {
            Self.failures.increment()
            logger.error("rules reload refused; the previous rules stay in force", metadata: [
                "rules.file": "\(path)", "rules.hash": "\(tracker.currentPolicy.rules.hash)", "reason": "\(reason)",
                "error.message": "\(error.description)",
            ])
            return false
        }
    }

    private struct Stamp: Equatable {
        var modified: Date
        var size: Int
    }

    private static func stamp(of path: String) -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date, let size = attributes[.size] as? Int
        else { return nil }
        return Stamp(modified: modified, size: size)
    }
}

/// Orders overlapping reloads by when they read the rules file.
///
/// Each read takes the next ticket under the lock, so a later ticket read the file later. A
/// compiled rule set is installed only when its ticket is newer than the last one installed; a
/// newer read that found the rules already in force counts as installed too. Compiling happens
/// outside the lock; the lock is held for the file read and the swap only.
final class ReloadOrder: Sendable {
    private let state = Mutex<(nextTicket: UInt64, installed: UInt64)>((nextTicket: 1, installed: 0))

    /// Runs `read` under the lock and returns its result with this read's ticket.
    func read(_ read: () throws(RulesError) -> String) -> (ticket: UInt64, text: Result<String, RulesError>) {
        state.withLock { state in
            let ticket = state.nextTicket
            state.nextTicket += 1
            return (ticket, Result { () throws(RulesError) in try read() })
        }
    }

    /// Runs `swap` under the lock unless a read newer than `ticket` was installed already, and
    /// marks `ticket` installed. `swap` returns nil when the rules were already in force.
    func install(ticket: UInt64, _ swap: () -> String?) -> String? {
        state.withLock { state in
            guard ticket > state.installed else { return nil }
            state.installed = ticket
            return swap()
        }
    }
}
