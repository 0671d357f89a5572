/// An activity description with `{placeholders}`: `Generated report {report_id}`.
///
/// Placeholders are path parameters (and named regex groups), `method`, `path`, `status`, and the
/// rule's allow-listed `query.NAME` and `header.NAME` metadata. Unknown names are load errors.
/// A missing value renders as `-`, or as the fallback written after `|`:
/// `Downloaded report {report_id} as {query.format|csv}`.
public struct DescriptionTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Part: Sendable, Hashable {
        case text(String)
        case placeholder(String, fallback: String)
    }

    let parts: [Part]
    /// The template as written.
    public let description: String

    /// The default, `{method} {path}`.
    static let `default` = try! DescriptionTemplate(parsing: "{method} {path}")

    init(parsing text: String) throws(TemplateError) {
        description = text
        var parts: [Part] = []
        var current = ""
        var name: String?
        for (offset, character) in text.enumerated() {
            if var open = name {
                if character == "}" {
                    let pieces = open.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                    guard !pieces[0].isEmpty else { throw TemplateError(offset: offset, "Empty placeholder `{\(open)}`.") }
                    parts.append(.placeholder(String(pieces[0]), fallback: pieces.count > 1 ? String(pieces[1]) : "-"))
                    name = nil
                } else if character == "{" {
                    throw TemplateError(offset: offset, "Placeholders do not nest.")
                } else {
                    open.append(character)
                    name = open
                }
            } else if character == "{" {
                if !current.isEmpty { parts.append(.text(current)) }
                current = ""
                name = ""
            } else if character == "}" {
                throw TemplateError(offset: offset, "Unbalanced `}`.")
            } else {
                current.append(character)
            }
        }
        if name != nil { throw TemplateError(offset: text.count, "Missing `}`.") }
        if !current.isEmpty { parts.append(.text(current)) }
        self.parts = parts
    }

    /// The placeholder names used.
    var placeholders: [String] { parts.compactMap { if case let .placeholder(name, _) = $0 { name } else { nil } } }

    /// Fills the placeholders from `values`; a missing value renders as its fallback (`-` unless given).
    func render(_ values: (String) -> String?) -> String {
        var result = ""
        for part in parts {
            switch part {
            case let .text(text): result += text
            case let .placeholder(name, fallback): result += values(name) ?? fallback
            }
        }
        return result
    }
}
