import FuzzDriver
@testable import ActivityRules

/// Input: the YAML text of a rules file, also read as a rule test file.
/// Invariants: nothing traps; the result is a rule set or a `RulesError` with a location (line and
/// column 0 when unknown, else inside the text), a code and a sentence; a loaded rule set matches
/// requests, explains itself to the checker and has a stable hash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Lines as YAML counts them (LF, CRLF or a lone CR ends one), like the error locations.
    let source = SourceText(file: "fuzz.yaml", text: text)
    let lineCount = source.lineCount
    func check(_ error: RulesError) {
        precondition(error.line >= 0 && error.column >= 0, "a location is never negative")
        precondition(error.line <= lineCount + 1, "the line \(error.line) is inside the text")
        if error.line > 0, error.line <= lineCount { precondition(error.snippet != nil, "a located error shows its line") }
        precondition(!error.code.isEmpty && !error.message.isEmpty, "an error has a code and a sentence")
        _ = error.rendered
    }
    do {
        let ruleSet = try RuleSet(yaml: text, file: "fuzz.yaml")
        precondition(ruleSet.hash.utf8.count == 64, "a SHA-256 hex hash")
        for (method, target) in [("GET", "/"), ("POST", "/api/v1/reports/7/generate/"), ("DELETE", "/a/b/../c?x=1"), ("PUT", "/%2e%2e/x/")] {
            if let match = ruleSet.match(method: method, target: target) {
                let metadata = match.metadata(headers: [("X-A", "b")], redact: ["token"])
                let members = match.metadataMembers(headers: [("X-A", "b")], redact: ["token"])
                precondition(Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { _, _ in preconditionFailure("a key twice") }) == metadata,
                             "the members are the metadata")
                precondition(match.description(members: members, status: 200) == match.description(metadata: metadata, status: 200),
                             "both ways describe the activity alike")
            }
        }
        _ = RuleChecker.warnings(ruleSet, testedRuleIDs: [])
    } catch {
        check(error)
    }
    do {
        _ = try RuleTestFile(path: "/nonexistent/fuzz.test.yaml", text: text)
    } catch {
        check(error)
    }
    return 0
}

@main
enum RulesFileFuzz { static func main() { runFuzzer(fuzzOneInput) } }
