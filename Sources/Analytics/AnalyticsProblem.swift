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
    /// The kind of problem: its `type` URN and its `title`.
    public var kind: Kind
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
            status: .badRequest, kind: .invalidParameter, detail: "Invalid parameter \(field): \(reason).", field: field, reason: reason)
    }

    static let unauthenticated = AnalyticsProblem(
        status: .unauthorized, kind: .unauthenticated, detail: "Authentication credentials were not provided or are not valid.",
        field: "Authorization", reason: "send Authorization: Bearer <token> with a configured analytics token")

    static func forbidden(_ reason: String) -> AnalyticsProblem {
        AnalyticsProblem(
            status: .forbidden, kind: .forbidden, detail: "You do not have permission to perform this action.",
            field: nil, reason: reason)
    }

    static func rateLimited(retryAfter seconds: Int) -> AnalyticsProblem {
        AnalyticsProblem(
            status: .tooManyRequests, kind: .rateLimited,
            detail: "This token made more requests than its rate limit allows; retry after \(seconds) s.", field: "Authorization",
            reason: "the token's rate limit (analytics.rate_limit) is spent", retryAfter: seconds)
    }

    static let databaseUnavailable = AnalyticsProblem(
        status: .serviceUnavailable, kind: .databaseUnavailable, detail: "The activity database cannot be reached; try again shortly.", field: nil, reason: nil)

    /// The kinds of problem. The raw value is the last part of the `type` URN.
    public enum Kind: String, Sendable {
        case invalidParameter = "invalid-parameter"
        case unauthenticated
        case forbidden
        case rateLimited = "rate-limited"
        case databaseUnavailable = "database-unavailable"

        /// The `type` member: `urn:trackingproxy:problem:<kind>`.
        var type: String { "urn:trackingproxy:problem:" + rawValue }

        /// The `title` member: the kind in a few words, the same for every problem of the kind.
        var title: String {
            switch self {
            case .invalidParameter: "Invalid parameter"
            case .unauthenticated: "Not authenticated"
            case .forbidden: "Forbidden"
            case .rateLimited: "Too many requests"
            case .databaseUnavailable: "Database unavailable"
            }
        }
    }

    var response: Response {
        var object = JSONText.Object()
        object.add("type", string: kind.type)
        object.add("title", string: kind.title)
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
