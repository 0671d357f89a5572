import JSONWriting
import Hummingbird

/// A refused analytics request: 400 (a parameter, with its name and the reason), 401 (no or
/// unknown token), 403 (the token may not see this), 503 (database unreachable). Rendered as
/// `{"detail": ..., "field": ..., "reason": ...}` (`detail` as in the reports platform's API).
///
/// Invariant: `detail` and `reason` quote the analyst's text only through `InputQuote`, so a
/// problem's body stays short whatever the request held.
public struct AnalyticsProblem: Error, Sendable {
    /// 400, 401, 403 or 503.
    public var status: HTTPResponse.Status
    /// One sentence for people.
    public var detail: String
    /// The parameter (or header) at fault, when one is.
    public var field: String?
    /// What is wrong with it and what is allowed.
    public var reason: String?

    static func badParameter(_ field: String, _ reason: String) -> AnalyticsProblem {
        AnalyticsProblem(status: .badRequest, detail: "Invalid parameter \(field): \(reason).", field: field, reason: reason)
    }

    static let unauthenticated = AnalyticsProblem(
        status: .unauthorized, detail: "Authentication credentials were not provided or are not valid.",
        field: "Authorization", reason: "send Authorization: Bearer <token> with a configured analytics token")

    static func forbidden(_ reason: String) -> AnalyticsProblem {
        AnalyticsProblem(status: .forbidden, detail: "You do not have permission to perform this action.", field: nil, reason: reason)
    }

    static let databaseUnavailable = AnalyticsProblem(
        status: .serviceUnavailable, detail: "The activity database cannot be reached; try again shortly.", field: nil, reason: nil)

    var response: Response {
        var object = JSONText.Object()
        object.add("detail", string: detail)
        object.add("field", string: field)
        object.add("reason", string: reason)
        var response = AnalyticsResponse.json(object.text, status: status)
        if status == .unauthorized {
            response.headers[.wwwAuthenticate] = #"Bearer realm="trackingproxy analytics""#
        }
        return response
    }
}

/// Response builders shared by the routes.
enum AnalyticsResponse {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
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
