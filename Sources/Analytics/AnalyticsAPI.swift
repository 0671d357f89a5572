import Foundation
import Hummingbird
import Logging
import PostgreSQL

/// The analytics API and dashboard, served by the analytics service (`AnalyticsServer`):
///
/// - `GET /api/v1/analytics/user-activity/`
/// - `GET /api/v1/analytics/activity-summary/`
/// - `GET /api/v1/analytics/system-health/` (admin and manager tokens only)
/// - `GET /dashboard`
///
/// Every route needs a configured token (see `AnalyticsConfiguration`); `user` tokens see only
/// their user's rows. Queries run on `pool`'s connections, never on the event loop.
public struct AnalyticsAPI: Sendable {
    let tokens: TokenBook
    let rateLimiter: TokenRateLimiter
    let pool: ConnectionPool
    let runtimeFigures: @Sendable () async -> RuntimeFigures
    let logger: Logger
    let now: @Sendable () -> Date
    /// The jobs' schedules, for their next runs on `system-health` and the dashboard.
    let jobs: JobsConfiguration
    /// The jobs the configuration turns off (`Job.unavailable(retention:)`).
    let unavailableJobs: Set<Job>
    /// The retention section, for the reason activity-retention is off.
    let retention: RetentionConfiguration

    /// - Parameters:
    ///   - runtimeFigures: gathers ingest queue depth, spool size, error rate and uptime.
    ///   - now: the clock; tests pass a fixed time.
    public init(
        configuration: AnalyticsConfiguration,
        pool: ConnectionPool,
        runtimeFigures: @escaping @Sendable () async -> RuntimeFigures = { RuntimeFigures() },
        jobs: JobsConfiguration = JobsConfiguration(),
        retention: RetentionConfiguration = RetentionConfiguration(),
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.tokens = TokenBook(configuration)
        self.rateLimiter = TokenRateLimiter(configuration: configuration)
        self.pool = pool
        self.runtimeFigures = runtimeFigures
        self.logger = logger
        self.now = now
        self.jobs = jobs
        self.unavailableJobs = Job.unavailable(retention: retention)
        self.retention = retention
    }

    /// The caller's access, or 401; 429 when its token's rate limit is spent.
    func authenticate(_ request: Request) throws(AnalyticsProblem) -> AnalyticsAccess {
        guard let (access, index) = tokens.identify(authorization: request.headers[.authorization]) else { throw .unauthenticated }
        if let wait = rateLimiter.take(tokenIndex: index) { throw .rateLimited(retryAfter: wait) }
        return access
    }

    /// Runs a query; an input error becomes 400 naming `field`, a database failure 503.
    func query<T: Sendable>(field: String, _ body: @Sendable (ActivityStore) async throws -> T) async throws(AnalyticsProblem) -> T {
        do {
            return try await pool.withStore(body)
        } catch let error as StorageError where error.isInvalidInput {
            throw .badParameter(field, error.message)
        } catch {
            logger.error("analytics query failed", metadata: ["error.message": "\(error)"])
            throw .databaseUnavailable
        }
    }

    /// Answers `body`'s response, or the problem it threw, as JSON.
    static func respond(_ body: () async throws(AnalyticsProblem) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return error.response
        }
    }
}

/// The analytics API's operations, each at its path (without the trailing slash, which requests
/// may add as the reports platform's clients do). `OpenAPIContractTests` compare them with the
/// paths of `OpenAPIDocument`.
public enum AnalyticsRoute: String, CaseIterable, Sendable {
    case userActivity = "/api/v1/analytics/user-activity"
    case activitySummary = "/api/v1/analytics/activity-summary"
    case systemHealth = "/api/v1/analytics/system-health"

    /// The path, as the router matches it.
    public var path: String { rawValue }
}

/// Mounts the analytics API and the dashboard on `router` (the analytics service's).
public func addAnalyticsRoutes<Context: RequestContext>(to router: Router<Context>, api: AnalyticsAPI) {
    for route in AnalyticsRoute.allCases {
        router.get(RouterPath(route.path)) { request, _ in
            await AnalyticsAPI.respond { () async throws(AnalyticsProblem) in
                switch route {
                case .userActivity: try await api.userActivity(request)
                case .activitySummary: try await api.activitySummary(request)
                case .systemHealth: try await api.systemHealth(request)
                }
            }
        }
    }
    router.get("/dashboard") { request, _ in
        await api.dashboard(request)
    }
}
