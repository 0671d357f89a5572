import ArgumentParser
import Testing
@testable import TrackingProxy

@Suite struct CommandTests {
    @Test(arguments: [
        (["activity", "list", "--limit", "1000"], "1 to 100"),
        (["activity", "list", "--limit", "0"], "1 to 100"),
        (["activity", "list", "--offset=-5"], "0 or more"),
        (["activity", "list", "--from", "yesterday"], "RFC 3339"),
        (["activity", "list", "--to", "2026-02-30"], "2026-11-20"),
        (["activity", "list", "--from", "1d", "--to", "2d"], "earlier than the end"),
        (["activity", "list", "--ip", "1.2.3"], "IPv4 or IPv6"),
        (["activity", "list", "--format", "xml"], "table"),
        (["activity", "summary", "--group-by", "week"], "type, user, day, hour"),
        (["activity", "summary", "--top", "0"], "1 or more"),
        (["activity", "export", "--format", "csv2"], "jsonl"),
        (["activity", "export", "--batch-size", "0"], "1 to 100000"),
        (["db", "prune", "--older-than", "soon"], "90d"),
        (["db", "prune", "--older-than", "10m"], "at least 1h"),
    ])
    func invalidInputExits64(arguments: [String], hint: String) {
        do {
            _ = try TrackingProxyCommand.parseAsRoot(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            #expect(TrackingProxyCommand.exitCode(for: error).rawValue == 64, "\(arguments)")
            let message = TrackingProxyCommand.message(for: error)
            #expect(message.contains(hint), "\(arguments): \(message)")
        }
    }

    @Test(arguments: [
        ["activity", "list", "--user", "alice", "--from", "7d", "--type", "login", "--type", "report.view", "--limit", "100"],
        ["activity", "summary", "--group-by", "hour", "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv"],
        ["activity", "export", "--format", "jsonl", "--ip", "10.0.0.0/8"],
        ["db", "prune", "--older-than", "90d", "--dry-run"],
    ])
    func validInputParses(arguments: [String]) throws {
        _ = try TrackingProxyCommand.parseAsRoot(arguments)
    }

    @Test func tableFitsTheTerminal() {
        var table = TextTable(columns: [.init(title: "A"), .init(title: "DESCRIPTION", flexible: true, minimumWidth: 5)])
        table.rows = [["2026-11-20 10:00:00", String(repeating: "x", count: 200) + "\nnext line"]]
        let lines = table.render(width: 60).split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 })
        #expect(lines.last?.hasSuffix("…") == true)
    }
}
