import Foundation
import Hummingbird
import HummingbirdCore
import PostgreSQL
import Synchronization

/// A request's query parameters, read as the analytics API's typed values; a bad value throws
/// 400 naming the parameter and what it allows. Every reader here is bounded: no value is
/// trusted to be short, numeric or in range.
public struct QueryParameters: Sendable {
    let parameters: Parameters
    /// Collects every name a reader asks for, when a test wants to know which parameters a route
    /// reads (`OpenAPIContractTests`); nil when serving.
    let askedNames: AskedNames?

    init(_ request: Request) {
        parameters = request.uri.queryParameters
        askedNames = nil
    }

    /// The parameters of a query string (`limit=10&offset=20`), decoded as the HTTP routes decode
    /// them (the fuzz target and tests start here).
    public init(query: String, recordingInto askedNames: AskedNames? = nil) {
        parameters = URI("/?" + query).queryParameters
        self.askedNames = askedNames
    }

    /// The names of the parameters read from a `QueryParameters`.
    public final class AskedNames: Sendable {
        private let names = Mutex<Set<String>>([])
        public init() {}
        public var all: Set<String> { names.withLock { $0 } }
        func insert(_ name: String) { names.withLock { _ = $0.insert(name) } }
    }

    func string(_ name: String) -> String? {
        askedNames?.insert(name)
        guard let value = parameters.get(name), !value.isEmpty else { return nil }
        return value
    }

    /// Every value of a repeated parameter, also split at commas (`type=a,b&type=c`); at most
    /// `limit + 1` values are collected, so that a huge list is refused without being built.
    func list(_ name: String, limit: Int) -> [String] {
        askedNames?.insert(name)
        var values: [String] = []
        for value in parameters.getAll(name) {
            for part in value.split(separator: ",") {
                let trimmed = part.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { continue }
                values.append(trimmed)
                if values.count > limit { return values }
            }
        }
        return values
    }

    /// A whole number in `range`; `nil` when the parameter is absent or empty.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(AnalyticsProblem) -> Int? {
        guard let text = string(name) else { return nil }
        do {
            return try WholeNumber.parse(text, in: range)
        } catch {
            throw .badParameter(name, error.message)
        }
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
        do {
            return try PageRequest(limitText: string(limitName), offsetText: string(offsetName), defaultLimit: defaultLimit)
        } catch {
            throw .badParameter(error.field == .limit ? limitName : offsetName, error.error.message)
        }
    }

    /// The filter from `user_id`, `date_from`, `date_to`, `activity_type`, `ip_address` (or the
    /// names given), confined to the caller's user for `user` tokens (403 when it asks for another).
    func filter(access: AnalyticsAccess, now: Date, names: FilterNames = .api) throws(AnalyticsProblem) -> ActivityFilter {
        let from = try time(names.from, now: now, as: .lower)
        let to = try time(names.to, now: now, as: .upper)
        var user = string(names.user)
        if !access.readsEverything {
            if let user, user != access.userID {
                throw .forbidden("this token may read only the rows of user \(access.userID ?? "?")")
            }
            user = access.userID
        }
        let types = list(names.type, limit: ActivityFilter.maxActivityTypes)
        let ip = string(names.ip)
        // Each value alone first, so that the 400 names the parameter that is wrong.
        try check(names.user) { () throws(StorageError) in _ = try ActivityFilter(userID: user) }
        try check(names.type) { () throws(StorageError) in _ = try ActivityFilter(activityTypes: types) }
        try check(names.ip) { () throws(StorageError) in _ = try ActivityFilter(ipAddress: ip) }
        do {
            return try ActivityFilter(userID: user, from: from, to: to, activityTypes: types, ipAddress: ip)
        } catch {
            // With every other value checked above, only the time range can be wrong.
            throw .badParameter(names.to, error.message)
        }
    }

    private func check(_ name: String, _ body: () throws(StorageError) -> Void) throws(AnalyticsProblem) {
        do {
            try body()
        } catch {
            throw .badParameter(name, error.message)
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
