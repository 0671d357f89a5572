import ArgumentParser
import Foundation
import Ingest
import PostgreSQL
import Analytics
import ActivityRules

/// The filters shared by `activity list`, `summary` and `export`.
struct ActivityFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only this user's rows (user_id).")
    var user: String?

    @Option(name: .long, help: "Rows at or after this time: \(TimeBound.allowed). A date means its first moment (UTC).")
    var from: String?

    @Option(name: .long, help: "Rows before this time (exclusive); same forms as --from. A date includes that whole day.")
    var to: String?

    @Option(name: .customLong("type"), help: "Only this activity type; repeat for several (any of them).")
    var types: [String] = []

    @Option(name: .long, help: "Only rows from this client address (192.0.2.1) or network (192.0.2.0/24).")
    var ip: String?

    /// The filter, with relative times resolved against `now`; invalid input becomes a
    /// `ValidationError` naming the flag (exit status 64).
    func filter(now: Date) throws -> ActivityFilter {
        let from = try from.map { text in try field("--from") { try TimeBound(parsing: text) }.resolve(now: now, as: .lower) }
        let to = try to.map { text in try field("--to") { try TimeBound(parsing: text) }.resolve(now: now, as: .upper) }
        if let ip { _ = try field("--ip") { try ActivityFilter(ipAddress: ip) } }
        if let user { _ = try field("--user") { try ActivityFilter(userID: user) } }
        _ = try field("--type") { try ActivityFilter(activityTypes: types) }
        return try field("--from/--to") { try ActivityFilter(userID: user, from: from, to: to, activityTypes: types, ipAddress: ip) }
    }
}

/// Runs `parse`; an input error becomes a `ValidationError` (exit status 64) naming `flag`.
func field<Output>(_ flag: String, _ parse: () throws -> Output) throws -> Output {
    do {
        return try parse()
    } catch let error as StorageError where error.isInvalidInput {
        throw ValidationError("\(flag): \(error.message).")
    }
}

