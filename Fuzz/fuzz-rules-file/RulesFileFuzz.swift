import ConfigValues
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
                let headers: [(name: String, value: String)] = [("X-A", "b"), ("x-b", "c")]
                let metadata = match.metadata(headers: headers, redact: ["token"])
                let members = match.metadataMembers(headers: headers, redact: ["token"])
                let reference = referenceMetadata(match, headers: headers, redact: ["token"])
                // Bytes, not `==`: keys compare by canonical equivalence, the row stores bytes.
                precondition(members.map { Array($0.key.utf8) } == reference.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) },
                             "the members' keys are the dictionary's, sorted by their bytes")
                precondition(members.allSatisfy { member in reference[member.key].map { Array($0.utf8) } == Array(member.value.utf8) },
                             "the members' values are the dictionary's")
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

/// The metadata as a dictionary made it before `metadataMembers` (the reference the members must
/// equal): path parameters, then `query.NAME`, then `header.NAME`, each assigned in turn.
func referenceMetadata(_ match: RuleMatch, headers: [(name: String, value: String)], redact: Set<String>) -> [String: String] {
    var result: [String: String] = [:]
    if match.rule.metadata.pathParameters {
        for capture in match.captures { result[capture.name] = capture.value }
    }
    let items = match.target.queryItems
    for name in match.rule.metadata.query {
        guard let item = items.last(where: { $0.name == name }) else { continue }
        result["query.\(name)"] = redact.contains(name.lowercased()) ? Secret.redacted : item.value
    }
    for name in match.rule.metadata.headers {
        let values = headers.filter { headerName($0.name, is: name) }.map(\.value)
        if !values.isEmpty { result["header.\(name)"] = values.joined(separator: ", ") }
    }
    return result
}
