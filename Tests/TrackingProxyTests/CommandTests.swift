import ArgumentParser
import Testing
@testable import TrackingProxy

@Suite struct CommandTests {
    @Test(arguments: [
        (["activity", "list", "--limit", "1000"], "1 to 100"),
        (["activity", "list", "--limit", "0"], "1 to 100"),
        (["activity", "list", "--offset=-5"], "0 to 1000000"),
        // Issue 9: the same bounds as the HTTP API, so that the table's "rows N-M" never overflows.
        (["activity", "list", "--offset", "9223372036854775807"], "0 to 1000000"),
        (["activity", "list", "--offset", "1000001"], "0 to 1000000"),
        (["activity", "list", "--limit", "9223372036854775807"], "1 to 100"),
        (["activity", "list", "--from", "99999999999d"], "36500d"),
        (["activity", "list", "--from", "1969-12-31"], "1970 to 9999"),
        (["activity", "list", "--to", "0000-01-01"], "time"),
        (["activity", "list", "--type", "a", "--user", String(repeating: "u", count: 1_025)], "1024 bytes"),
        (["activity", "export", "--ip", "10.0.0.0/+8"], "IPv4 or IPv6"),
        (["activity", "summary", "--top", "9223372036854775807"], "1 to 1000"),
        (["activity", "summary", "--top", "1001"], "1 to 1000"),
        (["activity", "summary", "--from", "1970-01-01", "--to", "9999-12-31"], "36500 days"),
        (["activity", "summary", "--group-by", "hour", "--from", "2025-01-01", "--to", "2026-03-01"], "10000 groups"),
        (["activity", "summary", "--from", "9999-12-31"], "earlier than the end"),
        (["db", "prune", "--older-than", "36501d"], "36500d"),
        (["activity", "list", "--from", "yesterday"], "RFC 3339"),
        (["activity", "list", "--to", "2026-02-30"], "2026-11-20"),
        (["activity", "list", "--from", "1d", "--to", "2d"], "earlier than the end"),
        (["activity", "list", "--ip", "1.2.3"], "IPv4 or IPv6"),
        (["activity", "list", "--format", "xml"], "table"),
        (["activity", "summary", "--group-by", "week"], "type, user, day, hour"),
        (["activity", "summary", "--top", "0"], "1 to 1000"),
        (["activity", "export", "--format", "csv2"], "jsonl"),
        (["activity", "export", "--batch-size", "0"], "1 to 100000"),
        (["db", "prune", "--older-than", "soon"], "90d"),
        (["db", "prune", "--older-than", "10m"], "at least 1h"),
        // Issue 12: jobs and the legacy import.
        (["jobs", "run", "monthly-report"], "weekly-report"),
        (["report", "weekly", "--week", "2027-W53"], "2027 has weeks 1 to 52, not 53"),
        (["report", "weekly", "--week", "2026-W00"], "not 0"),
        (["report", "weekly", "--week", "2026-48"], "YYYY-Www"),
        (["report", "weekly", "--week", "26-W48"], "YYYY-Www"),
        (["report", "weekly", "--week", "1969-W10"], "out of range"),
        (["report", "weekly", "--format", "pdf"], "markdown"),
        (["jobs", "list", "--format", "yaml"], "json"),
        (["db", "import-legacy"], "--source-url"),
        (["db", "import-legacy", "--source-url", "x", "--batch-size", "0"], "1 to 100000"),
        (["db", "import-legacy", "--source-url", "x", "--table", "user_activity; DROP TABLE activity"], "not a table name"),
        (["db", "import-legacy", "--source-url", "x", "--since", "yesterday"], "RFC 3339"),
        // Issue 12: doctor.
        (["doctor", "--days", "0", "--fix"], "1 to 3660"),
        (["doctor", "--days", "3661", "--fix"], "1 to 3660"),
        (["doctor", "--days=-7", "--fix"], "1 to 3660"),
        (["doctor", "--days", "7"], "give --fix"),
        (["doctor", "--format", "yaml"], "json"),
        (["doctor", "--days", "9223372036854775808", "--fix"], "days"),
        // Issue 12: rules coverage.
        (["rules", "coverage", "rules/reports-app.yaml", "--since", "yesterday"], "RFC 3339"),
        (["rules", "coverage", "rules/reports-app.yaml", "--since", "99999999999d"], "36500d"),
        (["rules", "coverage", "rules/reports-app.yaml", "--since", "9999-01-01"], "not in the past"),
        (["rules", "coverage", "rules/reports-app.yaml", "--format", "table"], "json"),
        (["rules", "coverage"], "rules-file"),
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
        ["rules", "coverage", "rules/reports-app.yaml", "--since", "90d", "--format", "json"],
        ["activity", "list", "--offset", "1000000", "--limit", "100", "--from", "36500d", "--to", "9999-12-31"],
        ["activity", "summary", "--top", "1000", "--from", "1970-01-01"],
        ["db", "prune", "--older-than", "36500d"],
        ["jobs", "run", "hourly-rollup", "--dry-run", "--format", "json"],
        ["jobs", "run", "weekly-report", "--dry-run"],
        ["report", "weekly", "--week", "2026-W53", "--format", "html", "--output", "w53.html"],
        ["report", "weekly", "--format", "json", "--database-url", "postgresql://a@b/c", "--config", "config/trackingproxy.yaml"],
        ["jobs", "list", "--format", "json", "--config", "config/trackingproxy.yaml"],
        ["db", "import-legacy", "--source-url", "postgresql://old/app", "--table", "public.user_activity", "--since", "2026-01-01"],
        ["doctor", "--days", "3660", "--fix", "--format", "json", "--config", "config/trackingproxy.yaml", "--database-url", "postgresql://db/app"],
        ["analytics", "hash-token"],
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
