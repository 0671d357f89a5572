import Foundation
@testable import ActivityRules

/// The repository's `rules/` directory, found from this file: `<repo>/Tests/ActivityRulesTests/…`.
let rulesDirectory: String = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return url.appendingPathComponent("rules").path
}()

let defaultRulesPath = rulesDirectory + "/reports-app.yaml"

/// The shipped default rule set.
let defaultRules: RuleSet = try! RuleSet.load(path: defaultRulesPath)

/// Compiles inline YAML, failing the test with the rendered error.
func rules(_ yaml: String) throws -> RuleSet {
    try RuleSet(yaml: yaml, file: "inline.yaml")
}

/// A temporary directory for files written by a test, removed by the caller.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "activity-rules-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ text: String, to path: String) {
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Header pairs from `Name: value` lines.
func headers(_ lines: [String]) -> [(name: String, value: String)] {
    lines.map { line in
        let header = HeaderLine(line)!
        return (header.name, header.value)
    }
}
