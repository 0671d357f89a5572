import Foundation
import Hummingbird
import Logging
import PostgreSQL

/// The analytics API and dashboard, served by the analytics service (`AnalyticsServer`):
///
/// - `GET /api/v1/analytics/user-activity/`
/// - `GET /api/v1/analytics/activity-summary/`
/// - `GET /api/v1/analytics/system-health/` (admin tokens only)
/// - `GET /dashboard`
///
/// Every route needs a configured token (see `AnalyticsConfiguration`); `user` tokens see only
/// their user's rows. Queries run on `pool`'s connections, never on the event loop.
public struct AnalyticsAPI: Sendable {
    let tokens: TokenBook
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
        self.pool = pool
        self.runtimeFigures = runtimeFigures
        self.logger = logger
        self.now = now
        self.jobs = jobs
        self.unavailableJobs = Job.unavailable(retention: retention)
        self.retention = retention
    }

    /// The caller's access, or 401.
    func authenticate(_ request: Request) throws(AnalyticsProblem) -> AnalyticsAccess {
        guard let access = tokens.access(authorization: request.headers[.authorization]) else { throw .unauthenticated }
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

/// Mounts the analytics API and the dashboard on `router` (the analytics service's).
public func addAnalyticsRoutes<Context: RequestContext>(to router: Router<Context>, api: AnalyticsAPI) {
    router.get("/api/v1/analytics/user-activity") { request, _ in
        await AnalyticsAPI.respond { () async throws(AnalyticsProblem) in try await api.userActivity(request) }
    }
    router.get("/api/v1/analytics/activity-summary") { request, _ in
        await AnalyticsAPI.respond { () async throws(AnalyticsProblem) in try await api.activitySummary(request) }
    }
    router.get("/api/v1/analytics/system-health") { request, _ in
        await AnalyticsAPI.respond { () async throws(AnalyticsProblem) in try await api.systemHealth(request) }
    }
    router.get("/dashboard") { request, _ in
        await api.dashboard(request)
    }
}
