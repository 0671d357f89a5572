import PostgreSQL
/// A page of a listing: how many rows, from which position.
///
/// Invariants: `limit` in `PageRequest.limits`, `offset` in `PageRequest.offsets`, so
/// `offset + limit` (and any position on the page) never overflows.
public struct PageRequest: Hashable, Sendable {
    /// The largest page an analyst may ask for.
    public static let maxLimit = 100
    /// The page size when none is given.
    public static let defaultLimit = 25
    /// The deepest offset: past it, PostgreSQL would read and skip that many rows for every page;
    /// `activity export` streams any number of rows instead.
    public static let maxOffset = 1_000_000
    /// The allowed page sizes.
    public static let limits = 1...maxLimit
    /// The allowed offsets.
    public static let offsets = 0...maxOffset

    /// Rows on the page.
    public let limit: Int
    /// Rows skipped before the page.
    public let offset: Int

    /// - Throws: `StorageError` with code `.invalidInput` saying what is allowed.
    public init(limit: Int = PageRequest.defaultLimit, offset: Int = 0) throws(StorageError) {
        guard Self.limits.contains(limit) else { throw .invalidInput(Self.limitProblem(limit)) }
        guard Self.offsets.contains(offset) else { throw .invalidInput(Self.offsetProblem(offset)) }
        self.limit = limit
        self.offset = offset
    }

    /// Parses the texts of a limit and an offset (`nil`: the default), as query parameters give them.
    ///
    /// - Throws: `PageRequest.Problem`, naming which of the two is wrong.
    public init(limitText: String?, offsetText: String?, defaultLimit: Int = PageRequest.defaultLimit) throws(Problem) {
        do {
            limit = try limitText.map { text throws(StorageError) in try WholeNumber.parse(text, in: Self.limits) } ?? defaultLimit
        } catch {
            throw Problem(field: .limit, error: error)
        }
        do {
            offset = try offsetText.map { text throws(StorageError) in try WholeNumber.parse(text, in: Self.offsets) } ?? 0
        } catch {
            throw Problem(field: .offset, error: error)
        }
        guard Self.limits.contains(limit) else { throw Problem(field: .limit, error: .invalidInput(Self.limitProblem(limit))) }
    }

    /// A refused limit or offset.
    public struct Problem: Error, Sendable {
        /// Which value.
        public enum Field: Sendable { case limit, offset }
        /// Which value was refused.
        public var field: Field
        /// Why, with what is allowed.
        public var error: StorageError
    }

    static func limitProblem(_ limit: Int) -> String {
        "\(limit) is not an allowed limit: give a number from 1 to \(maxLimit)"
    }

    static func offsetProblem(_ offset: Int) -> String {
        "\(offset) is not an allowed offset: give a number from 0 to \(maxOffset); `activity export` streams every row"
    }
}

/// One page of activity rows and the number of rows the filter matches in all.
public struct ActivityPage: Sendable {
    /// Rows matching the filter, over all pages (as PostgreSQL counted them: never negative).
    public let total: Int
    /// This page's rows, newest first, then by id (descending).
    public let rows: [ActivityRow]
    /// The page that was asked for.
    public let page: PageRequest

    /// The offset of the next page, or `nil` on the last page (or past `PageRequest.maxOffset`).
    public var nextOffset: Int? {
        // No overflow: both are bounded by `PageRequest`'s invariants.
        let next = page.offset + page.limit
        return next < total && next <= PageRequest.maxOffset ? next : nil
    }
    /// The offset of the previous page, or `nil` on the first page.
    public var previousOffset: Int? { page.offset > 0 ? max(0, page.offset - page.limit) : nil }
    /// The 1-based positions of this page's rows (`21...40`), or `nil` when the page is empty.
    public var shownRange: ClosedRange<Int>? { rows.isEmpty ? nil : (page.offset + 1)...(page.offset + rows.count) }
}
