import Foundation

/// `rules explain`: which rule a request matches and why the nearest others do not, and the
/// activity that would be recorded. Rendered as text for people or JSON for scripts; the JSON keys
/// `recorded`, `rule_id`, `activity_type`, `description`, `metadata`, `client_ip`, `ip_verified`,
/// `user_id` are a contract (extra keys: `path`, `exception_id`, `nearest`).
public struct Explanation: Sendable {
    /// A rule that did not win, and why.
    public struct Miss: Sendable, Equatable {
        /// The rule id.
        public var ruleID: String
        /// One sentence: why it did not match or did not win.
        public var reason: String
        /// Smaller is nearer to matching.
        var distance: Int
    }

    /// The method as given.
    public var method: String
    /// The request-target as given.
    public var target: String
    /// The normalised path.
    public var path: String
    /// The exception that excluded the request, if any.
    public var exception: RuleException?
    /// The rule that matched (before exceptions), if any.
    public var match: RuleMatch?
    /// The status used.
    public var status: Int
    /// The activity that would be recorded, if any.
    public var activity: Activity?
    /// The resolved client address.
    public var address: ClientAddress
    /// The user id, if any identity source yields one.
    public var userID: String?
    /// The nearest rules that did not win, nearest first (at most five).
    public var nearest: [Miss]

    /// Explains one request against `policy`.
    public init(policy: TrackingPolicy, method: String, target: String, peer: String, headers: [(name: String, value: String)], status: Int) {
        self.method = method
        self.target = target
        self.status = status
        let request = RequestTarget(target)
        path = request.path
        let segments = PathSegments(request.path)
        let rules = policy.rules
        exception = rules.exception(method: method, path: request.path)
        let rawMatch = rules.index.best(method: method, path: request.path, rules: rules.rules) ?? rules.catchAllMatch(method)
        match = rawMatch.map { RuleMatch(rule: $0.0, method: method, target: request, captures: $0.1) }
        activity = exception == nil ? match.flatMap { policy.activity(for: $0, peer: peer, requestHeaders: headers, status: status) } : nil
        address = policy.clientIP.resolve(peer: peer, headers: headers)
        userID = policy.identity.userID(requestHeaders: headers, responseHeaders: [], peerTrusted: policy.clientIP.isTrusted(peer: peer))
        var misses: [Miss] = []
        for rule in rules.rules + (rules.catchAll.map { [$0] } ?? []) where rule.id != match?.ruleID {
            misses.append(Self.miss(rule, method: method, path: request.path, segments: segments, winner: match?.rule))
        }
        nearest = Array(misses.sorted { ($0.distance, $0.ruleID) < ($1.distance, $1.ruleID) }.prefix(5))
    }

    static func miss(_ rule: Rule, method: String, path: String, segments: PathSegments, winner: Rule?) -> Miss {
        guard rule.enabled else { return Miss(ruleID: rule.id, reason: "disabled (`enabled: false`)", distance: 50) }
        let methodOK = rule.methods.contains(method)
        if rule.isCatchAll {
            if !methodOK { return Miss(ruleID: rule.id, reason: "catch-all records \(rule.methods.joined(separator: ", ")) only, not \(method)", distance: 40) }
            return Miss(ruleID: rule.id, reason: "catch-all applies only when no rule matches; `\(winner?.id ?? "?")` did", distance: 30)
        }
        let (pathReason, pathDistance) = pathMismatch(rule, path: path, segments: segments)
        if pathReason == nil {
            if !methodOK { return Miss(ruleID: rule.id, reason: "path matches, but \(method) is not one of \(rule.methods.joined(separator: ", "))", distance: 1) }
            if let winner { return Miss(ruleID: rule.id, reason: "also matches, but ranks below `\(winner.id)` (\(rankText(winner)) beats \(rankText(rule)))", distance: 0) }
        }
        let methodText = methodOK ? "" : "; and \(method) is not one of \(rule.methods.joined(separator: ", "))"
        return Miss(ruleID: rule.id, reason: (pathReason ?? "does not match") + methodText, distance: pathDistance + (methodOK ? 0 : 5))
    }

    static func rankText(_ rule: Rule) -> String {
        switch rule.pattern {
        case let .template(template) where template.isExact: "exact path"
        case let .template(template): "template with \(template.literalCount) literal segment\(template.literalCount == 1 ? "" : "s")\(template.constrainedCount > 0 ? " and \(template.constrainedCount) constrained" : "")\(template.hasDoubleStar ? " and `**`" : "")"
        case .regex: "regex at position \(rule.order + 1)"
        }
    }

    /// Why a rule's pattern does not match the path (nil when it does) and how far it got.
    static func pathMismatch(_ rule: Rule, path: String, segments: PathSegments) -> (String?, Int) {
        guard case let .template(template) = rule.pattern else {
            return rule.captures(path: path, segments: segments) == nil ? ("regex \(rule.pattern.description.dropFirst(6)) does not match \(path)", 20) : (nil, 0)
        }
        let fixed = template.hasDoubleStar ? template.segments.count - 1 : template.segments.count
        for index in 0..<min(fixed, segments.segments.count) {
            let value = segments.segments[index]
            let distance = 2 + max(fixed, segments.segments.count) - index
            switch template.segments[index] {
            case let .literal(text) where text != value:
                return ("segment \(index + 1) is `\(value)`, the template \(template) wants `\(text)`", distance)
            case let .parameter(name, constraint) where !constraint.accepts(value):
                return ("segment \(index + 1) `\(value)` is not a valid \(constraint.rawValue) for {\(name)} in \(template)", distance)
            default: continue
            }
        }
        if template.hasDoubleStar {
            if segments.segments.count < fixed { return ("path has \(segments.segments.count) segments, \(template) needs at least \(fixed)", 3 + fixed - segments.segments.count) }
            return (nil, 0)
        }
        if segments.segments.count != fixed { return ("path has \(segments.segments.count) segments, \(template) has \(fixed)", 3 + abs(segments.segments.count - fixed)) }
        if segments.trailingSlash != template.trailingSlash {
            return (template.trailingSlash ? "\(template) ends with `/`, the path does not" : "the path ends with `/`, \(template) does not", 2)
        }
        return (nil, 0)
    }
}
