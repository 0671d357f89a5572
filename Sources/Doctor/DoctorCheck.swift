/// One line of `trackingproxy doctor`: what was checked, how it went and, unless it went well,
/// what to do.
public struct DoctorCheck: Sendable, Equatable {
    /// How a check went, in increasing order of gravity.
    public enum Status: String, Sendable, Comparable, CaseIterable {
        /// Nothing to do.
        case ok
        /// The deployment works, but something needs a look (a job never ran, a stale sidecar).
        case warning
        /// The deployment does not work as configured (PostgreSQL unreachable, schema behind).
        case error

        public static func < (lhs: Status, rhs: Status) -> Bool {
            (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
        }
    }

    /// A stable short name: `configuration`, `rules`, `database`, `schema`, `job hourly-rollup`, …
    public var name: String
    public var status: Status
    /// What was found, one sentence.
    public var message: String
    /// What to do about it; nil for `ok`.
    public var fix: String?

    public init(_ name: String, _ status: Status, _ message: String, fix: String? = nil) {
        self.name = name
        self.status = status
        self.message = message
        self.fix = fix
    }
}
