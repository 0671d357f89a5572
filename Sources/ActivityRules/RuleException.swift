/// A named exclusion: requests it matches are never recorded, whatever rule they match.
///
/// A final class of constants, as `Rule` is: the match looks exceptions up for every tracked
/// request, and a struct was copied out of the list for each.
public final class RuleException: Sendable {
    /// How an exception matches paths.
    public enum Pattern: Sendable {
        /// A path template.
        case template(PathTemplate)
        /// Any of these path prefixes.
        case prefixes([String])
        /// A linear-time regex.
        case regex(SafeRegex)
    }

    /// Stable kebab-case id, e.g. `health-checks`.
    public let id: String
    /// Why these requests are not activities.
    public let reason: String
    /// The methods excluded; nil means every method.
    public let methods: Set<String>?
    /// The paths excluded.
    public let pattern: Pattern
    /// Where the exception starts in its file.
    public let location: SourceLocation

    /// `methods`, sorted: compared in turn, which costs less than hashing the request's method.
    private let methodList: [String]?

    init(id: String, reason: String, methods: Set<String>?, pattern: Pattern, location: SourceLocation) {
        self.id = id
        self.reason = reason
        self.methods = methods
        methodList = methods?.sorted()
        self.pattern = pattern
        self.location = location
    }

    /// Whether the exception covers a request.
    func covers(method: String, path: String) -> Bool {
        if let methodList, !methodList.contains(method) { return false }
        switch pattern {
        case let .template(template): return PathBytes.with(path) { template.matches($0) }
        case let .prefixes(prefixes): return prefixes.contains { path.hasPrefix($0) }
        case let .regex(regex): return regex.match(path) != nil
        }
    }
}

/// A named list from the `lists:` section: a method set or path prefixes, reused by name.
public struct NamedList: Sendable {
    /// What the list holds.
    public enum Kind: String, Sendable {
        /// HTTP methods.
        case methods
        /// Path prefixes.
        case pathPrefixes = "path_prefixes"
    }

    /// The list name, e.g. `mutating-methods`.
    public let name: String
    /// Methods or path prefixes.
    public let kind: Kind
    /// The entries, as written (methods upper-cased).
    public let values: [String]
    /// Where the list is defined.
    public let location: SourceLocation
}
