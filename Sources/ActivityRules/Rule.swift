/// One compiled rule: which requests it matches and what activity they become.
///
/// Invariant: `id` is kebab-case and unique in its `RuleSet`; `methods` is non-empty and upper-case.
///
/// A final class of constants, not a struct: every match holds its rule until the response ends,
/// and copying a struct of twelve fields retained and released each of them (outlined copies and
/// destroys of `Rule` were 1.5% of `tracking-bench`'s samples). It has no identity that matters.
public final class Rule: Sendable {
    /// Stable kebab-case id, e.g. `report-generate`.
    public let id: String
    /// One sentence for reviewers saying what the rule records.
    public let description: String
    /// The activity type recorded, e.g. `generate_report`.
    public let activityType: String
    /// The HTTP methods matched, upper-case, sorted.
    public let methods: [String]
    /// The path template or regex the normalised path must match.
    public let pattern: RulePattern
    /// The response statuses that are recorded (default 200–399).
    public let recordStatus: StatusSet
    /// The activity description, e.g. `Generated report {report_id}`; default `{method} {path}`.
    public let descriptionTemplate: DescriptionTemplate
    /// Which request values are copied into the activity metadata.
    public let metadata: MetadataSpec
    /// Disabled rules are loaded and checked but never match.
    public let enabled: Bool
    /// Whether this is the file's `catch_all` rule.
    public let isCatchAll: Bool
    /// Where the rule starts in its file.
    public let location: SourceLocation
    /// Position in the file, 0-based; breaks ties between regex rules.
    public let order: Int

    init(
        id: String, description: String, activityType: String, methods: [String], pattern: RulePattern, recordStatus: StatusSet,
        descriptionTemplate: DescriptionTemplate, metadata: MetadataSpec, enabled: Bool, isCatchAll: Bool, location: SourceLocation, order: Int
    ) {
        self.id = id
        self.description = description
        self.activityType = activityType
        self.methods = methods
        self.pattern = pattern
        self.recordStatus = recordStatus
        self.descriptionTemplate = descriptionTemplate
        self.metadata = metadata
        self.enabled = enabled
        self.isCatchAll = isCatchAll
        self.location = location
        self.order = order
    }

    /// Precedence: smaller is stronger. See `RuleRank`.
    var rank: RuleRank {
        switch pattern {
        case let .template(template) where template.isExact: RuleRank(tier: 0, specificity: 0, order: 0)
        case let .template(template):
            // More literal segments, then more constrained parameters, then no `**`.
            RuleRank(tier: 1, specificity: -(template.literalCount * 1000 + template.constrainedCount * 10) + (template.hasDoubleStar ? 1 : 0), order: 0)
        case .regex: RuleRank(tier: 2, specificity: 0, order: order)
        }
    }

    /// Matches a normalised path (method not checked), returning the captures.
    func captures(path: String, segments: PathSegments) -> [(name: String, value: String)]? {
        switch pattern {
        case let .template(template): template.match(segments)
        case let .regex(regex): regex.match(path)
        }
    }
}

/// How a rule matches paths: a segment template or a linear-time regex.
public enum RulePattern: Sendable, CustomStringConvertible {
    /// A segment template, e.g. `/api/v1/reports/{report_id}/`.
    case template(PathTemplate)
    /// A linear-time regex matching the whole normalised path.
    case regex(SafeRegex)

    /// The pattern as written.
    public var description: String {
        switch self {
        case let .template(template): template.description
        case let .regex(regex): "regex " + regex.description
        }
    }

    var captureNames: [String] {
        switch self {
        case let .template(template): template.parameterNames
        case let .regex(regex): regex.captureNames
        }
    }
}

/// The precedence of a rule; the smaller rank wins. Equal ranks that can match one request are a
/// load error (`rank-conflict`), so the winner is always unique.
///
/// Tier 0: exact literal paths. Tier 1: templates, more literal segments first, then more
/// constrained parameters, then templates without `**`. Tier 2: regexes, in file order.
struct RuleRank: Comparable, Hashable {
    var tier: Int
    var specificity: Int
    var order: Int

    static func < (lhs: RuleRank, rhs: RuleRank) -> Bool {
        (lhs.tier, lhs.specificity, lhs.order) < (rhs.tier, rhs.specificity, rhs.order)
    }
}

/// Which request values a rule copies into the activity metadata.
public struct MetadataSpec: Sendable, Hashable {
    /// Copy path parameters and named regex groups under their own names (default true).
    public var pathParameters: Bool = true
    /// Allow-listed query parameters, copied as `query.NAME`.
    public var query: [String] = []
    /// Allow-listed request headers, copied as `header.NAME` (lower-case).
    public var headers: [String] = []
}

/// A set of HTTP statuses written as `2xx`, `404` or `200-299`.
public struct StatusSet: Sendable, Hashable, CustomStringConvertible {
    /// The included ranges.
    public var ranges: [ClosedRange<Int>]

    /// 2xx and 3xx: successful and redirected requests.
    public static let successAndRedirect = StatusSet(ranges: [200...399])

    /// Whether `status` is included.
    public func contains(_ status: Int) -> Bool { ranges.contains { $0.contains(status) } }

    /// Parses one entry: `2xx`, `404`, `200-299`.
    static func range(parsing text: String) -> ClosedRange<Int>? {
        let lower = text.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let hundred = Int(lower.prefix(1)), (1...5).contains(hundred) {
            return hundred * 100...hundred * 100 + 99
        }
        if let status = Int(lower), (100...599).contains(status) { return status...status }
        let parts = lower.split(separator: "-")
        if parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 100 <= low, low <= high, high <= 599 {
            return low...high
        }
        return nil
    }

    /// `2xx, 301, 400-404`.
    public var description: String {
        ranges.map { range in
            if range.lowerBound == range.upperBound { return "\(range.lowerBound)" }
            if range.lowerBound % 100 == 0, range.upperBound == range.lowerBound + 99 { return "\(range.lowerBound / 100)xx" }
            return "\(range.lowerBound)-\(range.upperBound)"
        }.joined(separator: ", ")
    }
}
