import ConfigValues

/// The rule a request matched, before the upstream answered.
///
/// Keep it with the request; once the status is known, `records(status:)` says whether to record,
/// and `metadata` / `description` build the activity's fields.
public struct RuleMatch: Sendable {
    /// The matched rule (possibly the catch-all).
    public let rule: Rule
    /// The request method, as sent.
    public let method: String
    /// The normalised path and the raw query.
    public let target: RequestTarget
    /// The captures the match made (a regex's groups, or none for an exact path or the
    /// catch-all); nil for a template the trie matched, whose parameters `captures` reads from the
    /// path when asked: the rule decision runs on the event loop and makes none.
    private let madeCaptures: [(name: String, value: String)]?

    /// `captures` nil: `rule`'s template matched `target.path` (the trie's word for it).
    init(rule: Rule, method: String, target: RequestTarget, captures: [(name: String, value: String)]?) {
        self.rule = rule
        self.method = method
        self.target = target
        self.madeCaptures = captures
    }

    /// Path parameters or named regex groups, in pattern order.
    public var captures: [(name: String, value: String)] {
        if let madeCaptures { return madeCaptures }
        guard case let .template(template) = rule.pattern else { return [] }
        return PathBytes.with(target.path) { template.captures(ofMatching: $0) }
    }

    /// The rule id, e.g. `report-generate`.
    public var ruleID: String { rule.id }
    /// The activity type, e.g. `generate_report`.
    public var activityType: String { rule.activityType }

    /// Whether a response with `status` is recorded (the rule's `record_status`, default 2xx/3xx).
    public func records(status: Int) -> Bool { rule.recordStatus.contains(status) }

    /// The activity metadata: path parameters, then allow-listed `query.NAME` and `header.NAME`
    /// values present on the request. Query names in `redact` (lower-case) become `<redacted>`.
    /// A repeated query parameter gives its last value, as Django's `request.GET[name]` does, so
    /// the activity records the value the app acted on.
    public func metadata(headers: [(name: String, value: String)], redact: Set<String> = []) -> [String: String] {
        MetadataMember.dictionary(metadataMembers(headers: headers, redact: redact))
    }

    /// The same metadata as members sorted by key bytes, keys set as a dictionary sets them
    /// (`MetadataMember.sortedUnique`: two names a rules file may list as `"query.é"` precomposed
    /// and decomposed are one key).
    public func metadataMembers(headers: [(name: String, value: String)], redact: Set<String> = []) -> [MetadataMember] {
        var members: [MetadataMember] = []
        func add(_ key: String, _ value: String) { members.append(MetadataMember(key: key, value: value)) }
        if rule.metadata.pathParameters {
            for capture in captures { add(capture.name, capture.value) }
        }
        if !rule.metadata.query.isEmpty {
            let items = target.queryItems
            for name in rule.metadata.query {
                guard let item = items.last(where: { $0.name == name }) else { continue }
                add("query.\(name)", redact.contains(name.lowercased()) ? Secret.redacted : item.value)
            }
        }
        for name in rule.metadata.headers {
            let values = headers.filter { headerName($0.name, is: name) }.map(\.value)
            if !values.isEmpty { add("header.\(name)", values.joined(separator: ", ")) }
        }
        return MetadataMember.sortedUnique(members)
    }

    /// The activity description from the rule's `description_template`.
    public func description(metadata: [String: String], status: Int) -> String {
        description(status: status) { metadata[$0] }
    }

    /// The same, reading sorted members (`metadataMembers`): a few compared in turn.
    public func description(members: [MetadataMember], status: Int) -> String {
        description(status: status) { name in members.first { $0.key == name }?.value }
    }

    private func description(status: Int, metadata: (String) -> String?) -> String {
        var captures: [(name: String, value: String)]?  // read from the path once, if a placeholder needs them
        return rule.descriptionTemplate.render { name in
            switch name {
            case "method": return method
            case "path": return target.path
            case "status": return String(status)
            default:
                if let value = metadata(name) { return value }
                let read = captures ?? self.captures
                captures = read
                return read.first(where: { $0.name == name })?.value
            }
        }
    }
}
