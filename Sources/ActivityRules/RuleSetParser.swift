/// Reads a rules file's YAML into rules, exceptions and lists, reporting the first problem with its
/// location. Cross-rule checks (duplicate ids, rank conflicts) happen in `RuleSet.init`.
struct RuleSetParser {
    let source: SourceText
    var lists: [String: NamedList] = [:]
    var usedLists: Set<String> = []

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    init(source: SourceText) {
        self.source = source
    }

    struct Output {
        var rules: [Rule] = []
        var catchAll: Rule?
        var exceptions: [RuleException] = []
        var lists: [NamedList] = []
        var usedLists: Set<String> = []
    }

    mutating func parse() throws(RulesError) -> Output {
        let root = try YAMLField.document(source)
        let top = try root.fields(allowed: ["version", "lists", "exceptions", "rules", "catch_all"])
        guard let version = top["version"] else {
            throw source.error("missing-version", at: root.location, "Start the file with `version: 1`.")
        }
        guard try version.int() == 1 else { throw version.error("unsupported-version", "Only `version: 1` is supported.") }
        var output = Output()
        if let listsField = top["lists"] {
            let keys = listsField.keyLocations()
            for (name, field) in try listsField.mapping() {
                output.lists.append(try parseList(name: name, field, at: keys[name] ?? field.location))
                lists[name] = output.lists.last
            }
        }
        if let exceptions = top["exceptions"] {
            var ids = Set<String>()
            for item in try exceptions.sequence() {
                let exception = try parseException(item)
                guard ids.insert(exception.id).inserted else {
                    throw item.error("duplicate-id", "The exception id `\(exception.id)` is used twice; ids must be unique.")
                }
                output.exceptions.append(exception)
            }
        }
        guard let rulesField = top["rules"] else {
            throw source.error("missing-rules", at: root.location, "The file has no `rules:` list; add at least one rule.")
        }
        for (order, item) in try rulesField.sequence().enumerated() {
            output.rules.append(try parseRule(item, order: order, catchAll: false))
        }
        if let catchAll = top["catch_all"] {
            output.catchAll = try parseRule(catchAll, order: output.rules.count, catchAll: true)
        }
        output.usedLists = usedLists
        return output
    }

    func parseList(name: String, _ field: YAMLField, at location: SourceLocation) throws(RulesError) -> NamedList {
        guard isKebabCase(name) else {
            throw source.error("bad-id", at: location, "The list name `\(name)` is not kebab-case; use lower-case words joined by `-`, e.g. `mutating-methods`.")
        }
        let entries = try field.fields(allowed: ["methods", "path_prefixes"])
        guard entries.count == 1, let (key, value) = entries.first else {
            throw field.error("list-kind", "A list holds either `methods:` or `path_prefixes:`, exactly one.")
        }
        if key == "methods" {
            return NamedList(name: name, kind: .methods, values: try parseMethodValues(value, rule: nil), location: location)
        }
        var prefixes: [String] = []
        for item in try value.sequence() {
            let prefix = try item.string()
            guard prefix.hasPrefix("/") else { throw item.error("bad-prefix", "A path prefix starts with `/`.") }
            prefixes.append(prefix)
        }
        return NamedList(name: name, kind: .pathPrefixes, values: prefixes, location: location)
    }

    func isKebabCase(_ id: String) -> Bool {
        !id.isEmpty && id.first!.isLowercase && id.last != "-"
            && id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" } && !id.contains("--")
    }

    func checkID(_ id: String, _ field: YAMLField, what: String) throws(RulesError) {
        guard isKebabCase(id) else {
            throw field.error("bad-id", "The \(what) `\(id)` is not kebab-case; use lower-case words joined by `-`, e.g. `report-generate`.")
        }
    }

    func parseMethodValues(_ field: YAMLField, rule: String?) throws(RulesError) -> [String] {
        var methods: [String] = []
        for item in try field.sequence(rule: rule) {
            let method = try item.string(rule: rule)
            guard Self.knownMethods.contains(method) else {
                throw item.error("unknown-method", rule: rule, "`\(method)` is not a method; use upper-case \(Self.knownMethods.sorted().joined(separator: ", ")).")
            }
            methods.append(method)
        }
        guard !methods.isEmpty else { throw field.error("empty-methods", rule: rule, "Name at least one method.") }
        return methods
    }

    /// `methods:` is a list or the name of a `methods` list.
    mutating func parseMethods(_ field: YAMLField, rule: String?) throws(RulesError) -> [String] {
        if field.isSequence { return try parseMethodValues(field, rule: rule) }
        let name = try field.string(rule: rule)
        guard let list = lists[name] else {
            let known = lists.values.filter { $0.kind == .methods }.map(\.name).sorted()
            throw field.error("unknown-list", rule: rule, "No list named `\(name)`; write methods as `[GET, POST]` or use one of: \(known.joined(separator: ", ")).")
        }
        guard list.kind == .methods else { throw field.error("list-kind", rule: rule, "The list `\(name)` holds path prefixes, not methods.") }
        usedLists.insert(name)
        return list.values
    }

    mutating func parseException(_ item: YAMLField) throws(RulesError) -> RuleException {
        let fields = try item.fields(allowed: ["id", "reason", "match"])
        guard let idField = fields["id"] else { throw item.error("missing-id", "Every exception needs an `id`.") }
        let id = try idField.string()
        try checkID(id, idField, what: "exception id")
        guard let reason = try fields["reason"]?.string(rule: id), !reason.isEmpty else {
            throw item.error("missing-reason", rule: id, "Every exception needs a `reason` saying why these requests are not activities.")
        }
        guard let matchField = fields["match"] else { throw item.error("missing-match", rule: id, "Every exception needs a `match:`.") }
        let match = try matchField.fields(allowed: ["methods", "path", "path_prefixes", "regex"], rule: id)
        let methods = try match["methods"].map { field throws(RulesError) in Set(try parseMethods(field, rule: id)) }
        let patterns = ["path", "path_prefixes", "regex"].filter { match[$0] != nil }
        guard patterns.count == 1, let kind = patterns.first, let field = match[kind] else {
            throw matchField.error("match-shape", rule: id, "An exception's `match` has exactly one of `path`, `path_prefixes` or `regex`.")
        }
        let pattern: RuleException.Pattern
        switch kind {
        case "path": pattern = .template(try parseTemplate(field, rule: id))
        case "regex": pattern = .regex(try parseRegex(field, rule: id))
        default:
            if field.isSequence {
                var prefixes: [String] = []
                for entry in try field.sequence(rule: id) {
                    let prefix = try entry.string(rule: id)
                    guard prefix.hasPrefix("/") else { throw entry.error("bad-prefix", rule: id, "A path prefix starts with `/`.") }
                    prefixes.append(prefix)
                }
                pattern = .prefixes(prefixes)
            } else {
                let name = try field.string(rule: id)
                guard let list = lists[name], list.kind == .pathPrefixes else {
                    throw field.error("unknown-list", rule: id, "No `path_prefixes` list named `\(name)`; define it under `lists:` or write `[/static/]`.")
                }
                usedLists.insert(name)
                pattern = .prefixes(list.values)
            }
        }
        return RuleException(id: id, reason: reason, methods: methods, pattern: pattern, location: item.location)
    }

    func parseTemplate(_ field: YAMLField, rule: String?) throws(RulesError) -> PathTemplate {
        let text = try field.string(rule: rule)
        do {
            return try PathTemplate(parsing: text)
        } catch {
            throw source.error("bad-path", at: valueLocation(field, offset: error.offset), rule: rule, error.message)
        }
    }

    func parseRegex(_ field: YAMLField, rule: String?) throws(RulesError) -> SafeRegex {
        let text = try field.string(rule: rule)
        do {
            return try SafeRegex(text)
        } catch {
            throw source.error("bad-regex", at: valueLocation(field, offset: error.offset), rule: rule, error.message)
        }
    }

    /// The location of a character inside a scalar value; quoted scalars start one column later.
    func valueLocation(_ field: YAMLField, offset: Int) -> SourceLocation {
        var location = field.location
        if case let .scalar(scalar) = field.node, scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            location.column += 1
        }
        location.column += offset
        return location
    }
}
