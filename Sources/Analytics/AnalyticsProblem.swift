import JSONWriting
import Hummingbird

/// A refused analytics request: 400 (a parameter, with its name and the reason), 401 (no or
/// unknown token), 403 (the token may not see this), 429 (the token's rate is spent), 503
/// (database unreachable). Rendered as RFC 9457 problem details (`application/problem+json`):
/// `type` (a URN per kind), `title`, `status`, `detail` (as in the reports platform's API), and
/// the extension members `field` and `reason`.
///
/// Invariant: `detail` and `reason` quote the analyst's text only through `InputQuote`, so a
/// problem's body stays short whatever the request held.
public struct AnalyticsProblem: Error, Sendable {
    /// 400, 401, 403, 429 or 503.
    public var status: HTTPResponse.Status
    /// The kind of problem, the last part of its `type` URN (`invalid-parameter`).
    public var kind: String
    /// The kind in a few words, the same for every problem of a kind.
    public var title: String
    /// One sentence for people.
    public var detail: String
    /// The parameter (or header) at fault, when one is.
    public var field: String?
    /// What is wrong with it and what is allowed.
    public var reason: String?
    /// For 429: the seconds after which a request will be accepted (`Retry-After`).
    public var retryAfter: Int? = nil

    static func badParameter(_ field: String, _ reason: String) -> AnalyticsProblem {
        AnalyticsProblem(
            status: .badRequest, kind: "invalid-parameter", title: "Invalid parameter", detail: "Invalid parameter \(field): \(reason).",
            field: field, reason: reason)
    }

    static let unauthenticated = AnalyticsProblem(
        status: .unauthorized, kind: "unauthenticated", title: "Not authenticated", detail: "Authentication credentials were not provided or are not valid.",
        field: "Authorization", reason: "send Authorization: Bearer <token> with a configured analytics token")

    static func forbidden(_ reason: String) -> AnalyticsProblem {
        AnalyticsProblem(
            status: .forbidden, kind: "forbidden", title: "Forbidden", detail: "You do not have permission to perform this action.",
            field: nil, reason: reason)
    }

    static func rateLimited(retryAfter seconds: Int) -> AnalyticsProblem {
        var problem = AnalyticsProblem(
            status: .tooManyRequests, kind: "rate-limited", title: "Too many requests",
            detail: "This token made more requests than its rate limit allows; retry after \(seconds) s.", field: "Authorization",
            reason: "the token's rate limit (analytics.rate_limit) is spent")
        problem.retryAfter = seconds
        return problem
    }

    static let databaseUnavailable = AnalyticsProblem(
        status: .serviceUnavailable, kind: "database-unavailable", title: "Database unavailable", detail: "The activity database cannot be reached; try again shortly.", field: nil, reason: nil)

    /// The `type` member: `urn:trackingproxy:problem:<kind>`.
    var type: String { "urn:trackingproxy:problem:" + kind }

    var response: Response {
        var object = JSONText.Object()
        object.add("type", string: type)
        object.add("title", string: title)
        object.add("status", raw: String(status.code))
        object.add("detail", string: detail)
        object.add("field", string: field)
        object.add("reason", string: reason)
        var response = AnalyticsResponse.json(object.text, status: status, contentType: "application/problem+json")
        if let retryAfter {
            response.headers[.retryAfter] = String(retryAfter)
        }
        if status == .unauthorized {
            response.headers[.wwwAuthenticate] = #"Bearer realm="trackingproxy analytics""#
        }
        return response
    }
}

/// Response builders shared by the routes.
enum AnalyticsResponse {
    static func json(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType + "; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // No external resources may load: the page works offline and nothing can be injected.
        headers[.init("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
