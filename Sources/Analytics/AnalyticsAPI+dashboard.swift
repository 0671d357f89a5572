import Foundation
import Hummingbird

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
        var data: DashboardPage.Data
        do throws(AnalyticsProblem) {
            let dashboard = try DashboardQuery(parameters, access: access, now: now)
            data = try await query(field: "from") { store in
                DashboardPage.Data(
                    timeline: try await store.summary(dashboard.filter, groupBy: dashboard.timeline, now: now),
                    types: try await store.summary(dashboard.filter, groupBy: .type, top: 8, now: now),
                    users: try await store.summary(dashboard.filter, groupBy: .user, top: 8, now: now),
                    recent: try await store.list(dashboard.filter, page: dashboard.page))
            }
            // Admins and managers see the scheduled jobs; a database without job_runs yet shows none.
            if access.readsEverything {
                let histories = try? await pool.withStore { try await $0.jobHistories() }
                data.jobs = jobStatuses(histories: histories, now: now)
                // The sidecars' traffic next to the activity; none when system_metrics is unreadable.
                let period = (from: dashboard.filter.from ?? now, to: dashboard.filter.to ?? now)
                data.traffic = try? await pool.withStore { try await $0.trafficByHour(from: period.from, to: period.to) }
            }
        } catch {
            let status = error.status
            return AnalyticsResponse.html(DashboardPage.message("Cannot show this view", error.field.map { "\($0): \(error.reason ?? error.detail)" } ?? error.detail), status: status)
        }
        let page = DashboardPage(data: data, access: access, parameters: parameters, request: request, now: now)
        return AnalyticsResponse.html(page.render())
    }
}
