import ConfigValues

/// A token bucket's settings: `requests_per_second` refill the bucket, which holds at most `burst`
/// requests. `requests_per_second: 0` turns the limit off.
///
/// ```yaml
/// analytics:
///   rate_limit: {requests_per_second: 10, burst: 50}   # default, for user and manager tokens
///   tokens:
///     - {token: "…", role: admin, rate_limit: {requests_per_second: 2, burst: 10}}   # admins only when set
/// ```
public struct RateLimit: Codable, Sendable, Equatable {
    /// Requests a token may make per second, sustained; 0 turns the limit off. At most `maxRate`.
    public var requestsPerSecond: Double
    /// Requests a token may make at once after being idle; at least 1, at most `maxBurst`.
    public var burst: Int

    /// The limit of `user` tokens unless configured: an analyst's script paging through a month
    /// makes a few requests a second; a loop that makes hundreds is stopped.
    public static let userDefault = RateLimit(requestsPerSecond: 10, burst: 50)
    public static let maxRate = 1_000_000.0
    public static let maxBurst = 1_000_000

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }

    /// Whether requests are limited at all.
    public var isEnabled: Bool { requestsPerSecond > 0 }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case requestsPerSecond = "requests_per_second"
        case burst
    }

    /// Every value decoding cannot judge, with its key path under `path`.
    func problems(at path: String) -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if !requestsPerSecond.isFinite || requestsPerSecond < 0 || requestsPerSecond > Self.maxRate {
            problems.append(ConfigurationProblem("\(path).requests_per_second", "give a number from 0 (no limit) to \(Int(Self.maxRate))"))
        }
        if burst < 1 || burst > Self.maxBurst {
            problems.append(ConfigurationProblem("\(path).burst", "give a whole number from 1 to \(Self.maxBurst)"))
        }
        return problems
    }
}
