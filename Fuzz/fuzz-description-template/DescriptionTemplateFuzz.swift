import FuzzDriver
@testable import ActivityRules

/// Input: a `description_template` text.
/// Invariants: nothing traps; a parse error points inside the text (offset 0...count); a parsed
/// template keeps its text, has no more placeholders than `{`s, renders its literal text when it has
/// no placeholders, and renders every placeholder from the values (or its fallback).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let template = try DescriptionTemplate(parsing: text)
        precondition(template.description == text, "the template keeps its text")
        let opens = text.filter { $0 == "{" }.count
        precondition(template.placeholders.count <= opens, "placeholders come from braces")
        let filled = template.render { "<\($0)>" }
        let missing = template.render { _ in nil }
        if template.placeholders.isEmpty {
            precondition(filled == text && missing == text, "a template without placeholders renders as written")
        }
        for name in template.placeholders { precondition(filled.contains("<\(name)>"), "every placeholder is rendered") }
    } catch {
        precondition((0...text.count).contains(error.offset), "the error points inside the text")
        precondition(!error.message.isEmpty, "the error says what is wrong")
    }
    return 0
}

@main
enum DescriptionTemplateFuzz { static func main() { runFuzzer(fuzzOneInput) } }
