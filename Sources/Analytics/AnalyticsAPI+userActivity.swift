import JSONWriting
import Hummingbird

extension AnalyticsAPI {
    /// `GET /api/v1/analytics/user-activity/?user_id=&date_from=&date_to=&activity_type=&ip_address=&limit=&offset=`
    ///
    /// Answers `{count, next, previous, results}` as the reports platform's paginated API did;
    /// each result has id, user, activity_type, description, ip_address, user_agent, metadata, timestamp.
    func userActivity(_ request: Request) async throws(AnalyticsProblem) -> Response {
        let access = try authenticate(request)
        let parameters = QueryParameters(request)
        let arguments = try UserActivityQuery(parameters, access: access, now: now())
        let page = arguments.page
        let result = try await query(field: "user_id") { try await $0.list(arguments.filter, page: page) }
        var object = JSONText.Object()
        object.add("count", raw: String(result.total))
        object.add("next", string: result.nextOffset.map { link(request, limit: page.limit, offset: $0) })
        object.add("previous", string: result.previousOffset.map { link(request, limit: page.limit, offset: $0) })
        object.add("results", raw: JSONText.array(result.rows.map(Self.platformJSON)))
        return AnalyticsResponse.json(object.text)
    }

    /// The reports platform's shape of one row (its old `user_activity` table's field names).
    static func platformJSON(_ row: ActivityRow) -> String {
        var object = JSONText.Object()
        object.add("id", string: row.id)
        object.add("user", string: row.userID)
        object.add("activity_type", string: row.activityType)
        object.add("description", string: row.description)
        object.add("ip_address", string: row.ipAddress)
        object.add("user_agent", string: row.userAgent)
        object.add("metadata", raw: row.metadataJSON)
        object.add("timestamp", string: row.occurredAt)
        return object.text
    }

    /// An absolute link to another page of the same listing, as Django REST framework builds them
    /// (offset 0 is left out, as DRF does).
    func link(_ request: Request, limit: Int, offset: Int) -> String {
        let query = QueryString.replacing(request, ["limit": String(limit), "offset": offset == 0 ? nil : String(offset)])
        let host = request.head.authority ?? "localhost"
        return "http://\(host)\(request.uri.path)?\(query)"
    }
}
