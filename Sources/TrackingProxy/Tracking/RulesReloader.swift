import ActivityRules
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import UnixSignals

/// Reloads the rules file on SIGHUP and when the file changes (checked every `pollInterval` by
/// modification time and size, then by content hash), swapping the tracker's rules atomically.
///
/// An invalid file is refused: the old rules stay in force and the error is logged with its
/// location. Metrics: `trackingproxy_rules_reload_total{result=success|failure}` and
/// `trackingproxy_rules_active{hash}` (1 for the rules in force).
struct RulesReloader: Service {
    let path: String
    let tracker: ActivityTracker
    var pollInterval: Duration = .seconds(1)
    let logger: Logger

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

    /// Loads the file and swaps it in when valid and different. Returns whether rules changed.
    @discardableResult
    func reload(reason: String) -> Bool {
        let previous = tracker.currentPolicy.rules.hash
        do {
            let rules = try RuleSet.load(path: path)
            guard rules.hash != previous else { return false }
            tracker.replaceRules(rules)
            Self.successes.increment()
            Self.markActive(hash: rules.hash, previous: previous)
            logger.notice("rules reloaded", metadata: [
                "rules.file": "\(path)", "rules.hash": "\(rules.hash)", "rules.count": "\(rules.count)", "reason": "\(reason)",
            ])
            return true
        } catch {
            Self.failures.increment()
            logger.error("rules reload refused; the previous rules stay in force", metadata: [
                "rules.file": "\(path)", "rules.hash": "\(previous)", "reason": "\(reason)", "error.message": "\(error.description)",
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
