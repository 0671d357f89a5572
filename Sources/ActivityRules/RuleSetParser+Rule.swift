extension RuleSetParser {
    static let ruleKeys: Set<String> = ["id", "description", "activity", "match", "record_status", "description_template", "metadata", "enabled"]
    static let catchAllKeys: Set<String> = ["id", "description", "activity", "methods", "record_status", "description_template", "enabled"]

    /// Parses one rule, or the `catch_all` rule (which has `methods` instead of `match`).
    mutating func parseRule(_ item: YAMLField, order: Int, catchAll: Bool) throws(RulesError) -> Rule {
        let knownID = try? item.mapping().first { $0.key == "id" }?.value.string()
        let fields = try item.fields(allowed: catchAll ? Self.catchAllKeys : Self.ruleKeys, rule: knownID)
        guard let idField = fields["id"] else { throw item.error("missing-id", "Every rule needs an `id` (kebab-case, unique).") }
        let id = try idField.string()
        try checkID(id, idField, what: "rule id")
        guard let description = try fields["description"]?.string(rule: id), !description.isEmpty else {
            throw item.error("missing-description", rule: id, "Every rule needs a one-sentence `description` for reviewers.")
        }
        guard let activityField = fields["activity"] else {
            throw item.error("missing-activity", rule: id, "Every rule needs an `activity` type, e.g. `generate_report`.")
        }
        let activity = try activityField.string(rule: id)
        guard !activity.isEmpty, activity.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }) else {
            throw activityField.error("bad-activity", rule: id, "An activity type is snake_case, e.g. `generate_report`.")
        }

        var methods: [String]
        let pattern: RulePattern
        if catchAll {
            methods = try fields["methods"].map { field throws(RulesError) in try parseMethods(field, rule: id) } ?? ["DELETE", "PATCH", "POST", "PUT"]
            if let safe = methods.first(where: { Self.safeMethods.contains($0) }) {
                throw (fields["methods"] ?? item).error("catch-all-safe-method", rule: id, "The catch-all records mutations only; remove `\(safe)` and write a rule that names the GET route instead.")
            }
            pattern = .template(try! PathTemplate(parsing: "/**"))
        } else {
            guard let matchField = fields["match"] else { throw item.error("missing-match", rule: id, "Every rule needs a `match:` with `methods` and `path` or `regex`.") }
            let match = try matchField.fields(allowed: ["methods", "path", "regex"], rule: id)
            guard let methodsField = match["methods"] else {
                throw matchField.error("missing-methods", rule: id, "Name the methods, e.g. `methods: [POST]`.")
            }
            methods = try parseMethods(methodsField, rule: id)
            switch (match["path"], match["regex"]) {
            case let (path?, nil): pattern = .template(try parseTemplate(path, rule: id))
            case let (nil, regex?): pattern = .regex(try parseRegex(regex, rule: id))
            default: throw matchField.error("match-shape", rule: id, "A rule's `match` has exactly one of `path` or `regex`.")
            }
        }
        methods = Array(Set(methods)).sorted()

        var recordStatus = StatusSet.successAndRedirect
        if let statusField = fields["record_status"] {
            var ranges: [ClosedRange<Int>] = []
            for entry in try statusField.sequence(rule: id) {
                let text = try entry.string(rule: id)
                guard let range = StatusSet.range(parsing: text) else {
                    throw entry.error("bad-status", rule: id, "`\(text)` is not a status; write `2xx`, `204` or `200-299`.")
                }
                ranges.append(range)
            }
            recordStatus = StatusSet(ranges: ranges)
        }

        var metadata = MetadataSpec()
        if let metadataField = fields["metadata"] {
            let entries = try metadataField.fields(allowed: ["path_params", "query", "headers"], rule: id)
            if let field = entries["path_params"] { metadata.pathParameters = try field.bool(rule: id) }
            if let field = entries["query"] { metadata.query = try field.strings(rule: id) }
            if let field = entries["headers"] { metadata.headers = try field.strings(rule: id).map { $0.lowercased() } }
        }

        var template = DescriptionTemplate.default
        if let templateField = fields["description_template"] {
            let text = try templateField.string(rule: id)
            do {
                template = try DescriptionTemplate(parsing: text)
            } catch {
                throw source.error("bad-template", at: valueLocation(templateField, offset: error.offset), rule: id, error.message)
            }
            let known = Set(["method", "path", "status"] + pattern.captureNames + metadata.query.map { "query.\($0)" } + metadata.headers.map { "header.\($0)" })
            for name in template.placeholders where !known.contains(name) {
                throw templateField.error("unknown-placeholder", rule: id, "`{\(name)}` is not available; use one of \(known.sorted().map { "{\($0)}" }.joined(separator: ", ")), or allow-list it under `metadata`.")
            }
        }
        let enabled = try fields["enabled"]?.bool(rule: id) ?? true
        return Rule(
            id: id, description: description, activityType: activity, methods: methods, pattern: pattern,
            recordStatus: recordStatus, descriptionTemplate: template, metadata: metadata, enabled: enabled,
            isCatchAll: catchAll, location: item.location, order: order
        )
    }
}
