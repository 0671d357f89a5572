import Foundation
import Hummingbird
import Ingest

extension AnalyticsAPI {
    /// `GET /dashboard?from=7d&to=&user=&type=&ip=&limit=50&offset=0`: one self-contained HTML
    /// page (inline CSS and SVG, no script, nothing fetched from elsewhere) with activity over
    /// time, top types and users, and the recent rows. The filters live in the URL, so a view
    /// can be shared. Browsers get a Basic prompt: any name, the token as password.
    func dashboard(_ request: Request) async -> Response {
        guard let access = tokens.access(authorization: request.headers[.authorization]) else {
            var response = AnalyticsResponse.html(DashboardPage.message("Sign in", "Give an analytics token as the password (any user name)."), status: .unauthorized)
            response.headers[.wwwAuthenticate] = #"Basic realm="trackingproxy analytics", charset="UTF-8""#
            return response
        }
        let now = now()
        let parameters = QueryParameters(request)
        let data: DashboardPage.Data
        do throws(AnalyticsProblem) {
            var filter = try parameters.filter(access: access, now: now, names: .dashboard)
            if filter.from == nil {
                let to = filter.to ?? now
                let from = to.addingTimeInterval(-7 * 86_400)
                do {
                    filter = try ActivityFilter(userID: filter.userID, from: from, to: filter.to, activityTypes: filter.activityTypes, ipAddress: filter.ipAddress)
                } catch {
                    throw .badParameter("to", error.message)
                }
            }
            let page = try parameters.page(defaultLimit: 50)
            let span = (filter.to ?? now).timeIntervalSince(filter.from ?? now)
            let grouping: SummaryGrouping = span <= 2 * 86_400 ? .hour : .day
            let selected = filter
            data = try await query(field: "from") { store in
                DashboardPage.Data(
                    timeline: try await store.summary(selected, groupBy: grouping, now: now),
                    types: try await store.summary(selected, groupBy: .type, top: 8, now: now),
                    users: try await store.summary(selected, groupBy: .user, top: 8, now: now),
                    recent: try await store.list(selected, page: page))
            }
        } catch {
            let status = error.status
            return AnalyticsResponse.html(DashboardPage.message("Cannot show this view", error.field.map { "\($0): \(error.reason ?? error.detail)" } ?? error.detail), status: status)
        }
        let page = DashboardPage(data: data, access: access, parameters: parameters, request: request, now: now)
        return AnalyticsResponse.html(page.render())
    }
}
