import Foundation
import PostgreSQL

/// Which activity rows an analyst asks for: a user, a time range, activity types and a client
/// address. Every field is optional; the conditions are combined with AND.
///
/// Invariants, checked by the initialiser: `from < to` when both are set; `ipAddress` is a host
/// address or a CIDR network; no empty user id or type; user id and types at most
/// `maxValueBytes` bytes each, without NUL (libpq passes parameters as C strings); at most
/// `maxActivityTypes` types. Values reach SQL only as parameters.
public struct ActivityFilter: Hashable, Sendable {
    /// Rows of this user only (`user_id`).
    public private(set) var userID: String?
    /// Rows at or after this moment.
    public private(set) var from: Date?
    /// Rows strictly before this moment.
    public private(set) var to: Date?
    /// Rows whose `activity_type` is one of these (any, when empty).
    public private(set) var activityTypes: [String]
    /// Rows whose `ip_address` equals this host, or lies in this network (`10.0.0.0/8`).
    public private(set) var ipAddress: String?

    /// - Throws: `StorageError` with code `.invalidInput` naming the broken rule.
    public init(userID: String? = nil, from: Date? = nil, to: Date? = nil, activityTypes: [String] = [], ipAddress: String? = nil) throws(StorageError) {
        if let userID, userID.isEmpty { throw .invalidInput("the user id is empty: give a user id or leave the filter out") }
        if let userID { try Self.checkValue(userID, "a user id") }
        if activityTypes.contains(where: \.isEmpty) { throw .invalidInput("an activity type is empty: give a type such as report.download") }
        guard activityTypes.count <= Self.maxActivityTypes else {
            throw .invalidInput("\(activityTypes.count) activity types is too many: give at most \(Self.maxActivityTypes)")
        }
        for type in activityTypes { try Self.checkValue(type, "an activity type") }
        if let from, let to, from >= to {
            throw .invalidInput("the start (\(SQLTime.text(from))) is not before the end (\(SQLTime.text(to))): give a start earlier than the end")
        }
        if let ipAddress, !Self.isAddressOrNetwork(ipAddress) {
            throw .invalidInput("\(InputQuote.quote(ipAddress)) is not an IP address: give an IPv4 or IPv6 address (192.0.2.1) or a network (192.0.2.0/24)")
        }
        self.userID = userID
        self.from = from
        self.to = to
        self.activityTypes = activityTypes
        self.ipAddress = ipAddress
    }

    /// The same filter restricted to one user: how a `user` token's queries are confined.
    public func restricted(toUser user: String) -> ActivityFilter {
        var copy = self
        copy.userID = user
        return copy
    }

    /// The same filter over another time range (used for summaries and their previous period).
    func with(from: Date?, to: Date?) -> ActivityFilter {
        var copy = self
        copy.from = from
        copy.to = to
        return copy
    }

    /// The SQL conditions (without `WHERE`), their values appended to `parameters`.
    /// `includingTime: false` leaves out `from`/`to`, for queries that bound time themselves.
    func conditions(_ parameters: inout SQLParameters, includingTime: Bool = true) -> [String] {
        var conditions: [String] = []
        if let userID { conditions.append("user_id = \(parameters.add(userID))") }
        if includingTime, let from { conditions.append("occurred_at >= \(parameters.add(SQLTime.text(from)))::timestamptz") }
        if includingTime, let to { conditions.append("occurred_at < \(parameters.add(SQLTime.text(to)))::timestamptz") }
        if !activityTypes.isEmpty {
            let placeholders = activityTypes.map { parameters.add($0) }
            conditions.append("activity_type IN (\(placeholders.joined(separator: ", ")))")
        }
        if let ipAddress {
            // `=` for a host keeps the comparison exact; `<<=` (is contained by or equals) for a network.
            let placeholder = parameters.add(ipAddress)
            conditions.append(ipAddress.contains("/") ? "ip_address <<= \(placeholder)::inet" : "ip_address = \(placeholder)::inet")
        }
        return conditions
    }

    /// The most activity types one filter may name.
    public static let maxActivityTypes = 100
    /// The longest user id or activity type, in UTF-8 bytes (what the writer stores at most).
    public static let maxValueBytes = 1_024

    static func checkValue(_ value: String, _ what: String) throws(StorageError) {
        guard value.utf8.count <= maxValueBytes else {
            throw .invalidInput("\(what) of \(value.utf8.count) bytes is too long: give at most \(maxValueBytes) bytes")
        }
        guard !value.utf8.contains(0) else { throw .invalidInput("\(what) contains a NUL character, which no stored value has") }
    }

    static func isAddressOrNetwork(_ text: String) -> Bool {
        // The longest address with a prefix (an IPv4-mapped IPv6 address, /128) has 50 characters;
        // a NUL would end the C string `inet_pton` reads, so "192.0.2.1\0junk" would pass as the address.
        guard text.utf8.count <= 64, !text.utf8.contains(0) else { return false }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = InetAddress(String(first)) else { return false }
        guard parts.count == 2 else { return true }
        // Digits only: PostgreSQL refuses `/+24` and ` 24`, which `Int(_:)` would take.
        guard let bits = try? WholeNumber.parse(parts[1], in: 0...(address.bytes.count * 8)), !parts[1].hasPrefix("-") else { return false }
        return bits >= 0
    }
}

/// Numbered SQL parameters (`$1`, `$2`, ...) and their text values, built alongside the SQL.
struct SQLParameters {
    private(set) var values: [String?] = []

    /// Appends `value` and returns its placeholder.
    mutating func add(_ value: String?) -> String {
        values.append(value)
        return "$\(values.count)"
    }
}

/// Times as sent to and read from PostgreSQL: RFC 3339 in UTC.
enum SQLTime {
    /// `2026-11-20T10:00:00.123Z`, exact to the millisecond (what `Date` carries from our parsers).
    static func text(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A `SELECT` expression that renders a timestamptz column as `2026-11-20T10:00:00.123456Z`,
    /// whatever the session's time zone.
    static func select(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }
}
