import Foundation
import Hummingbird
import Ingest

/// A request's query parameters, read as the analytics API's typed values; a bad value throws
/// 400 naming the parameter.
struct QueryParameters {
    let parameters: Parameters

    init(_ request: Request) {
        parameters = request.uri.queryParameters
    }

    func string(_ name: String) -> String? {
        guard let value = parameters.get(name), !value.isEmpty else { return nil }
        return value
    }

    /// Every value of a repeated parameter, also split at commas (`type=a,b&type=c`).
    func list(_ name: String) -> [String] {
        parameters.getAll(name).flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    func integer(_ name: String, default value: Int) throws(AnalyticsProblem) -> Int {
        guard let text = string(name) else { return value }
        guard let number = Int(text) else { throw .badParameter(name, "\"\(text)\" is not a whole number") }
        return number
    }

    func time(_ name: String, now: Date, as side: TimeBound.Side) throws(AnalyticsProblem) -> Date? {
        guard let text = string(name) else { return nil }
        do {
            return try TimeBound(parsing: text).resolve(now: now, as: side)
        } catch {
            throw .badParameter(name, error.message)
        }
    }

    func page(limitName: String = "limit", offsetName: String = "offset", defaultLimit: Int = PageRequest.defaultLimit) throws(AnalyticsProblem) -> PageRequest {
        let limit = try integer(limitName, default: defaultLimit)
        let offset = try integer(offsetName, default: 0)
        do {
            return try PageRequest(limit: limit, offset: offset)
        } catch {
            throw .badParameter(limit < 1 || limit > PageRequest.maxLimit ? limitName : offsetName, error.message)
        }
    }

    /// The filter from `user_id`, `date_from`, `date_to`, `activity_type`, `ip_address` (or the
    /// names given), confined to the caller's user for `user` tokens (403 when it asks for another).
    func filter(access: AnalyticsAccess, now: Date, names: FilterNames = .api) throws(AnalyticsProblem) -> ActivityFilter {
        let from = try time(names.from, now: now, as: .lower)
        let to = try time(names.to, now: now, as: .upper)
        var user = string(names.user)
        if !access.isAdmin {
            if let user, user != access.userID {
                throw .forbidden("this token may read only the rows of user \(access.userID ?? "?")")
            }
            user = access.userID
        }
        let types = list(names.type)
        let ip = string(names.ip)
        do {
            if let ip { _ = try ActivityFilter(ipAddress: ip) }
        } catch {
            throw .badParameter(names.ip, error.message)
        }
        do {
            return try ActivityFilter(userID: user, from: from, to: to, activityTypes: types, ipAddress: ip)
        } catch {
            // With the address and empty values checked above, only the time range can be wrong.
            throw .badParameter(names.to, error.message)
        }
    }

    /// The parameter names of a filter.
    struct FilterNames {
        var user, from, to, type, ip: String
        /// The reports platform's names.
        static let api = FilterNames(user: "user_id", from: "date_from", to: "date_to", type: "activity_type", ip: "ip_address")
        /// The dashboard's shorter names.
        static let dashboard = FilterNames(user: "user", from: "from", to: "to", type: "type", ip: "ip")
    }
}

/// Percent-encoding for building links (`next`, `previous`, dashboard pages).
enum QueryString {
    static func encode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return pairs.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    /// The request's parameters with `changes` applied (`nil` removes a parameter).
    static func replacing(_ request: Request, _ changes: [String: String?]) -> String {
        var pairs: [(String, String)] = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            .filter { changes[$0.0] == nil }
        for (name, value) in changes.sorted(by: { $0.key < $1.key }) {
            if let value { pairs.append((name, value)) }
        }
        return encode(pairs)
    }
}
