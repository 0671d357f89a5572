/// A page of a listing: how many rows, from which position.
///
/// Invariants: `1 <= limit <= PageRequest.maxLimit`, `offset >= 0`.
public struct PageRequest: Hashable, Sendable {
    /// The largest page an analyst may ask for.
    public static let maxLimit = 100
    /// The page size when none is given.
    public static let defaultLimit = 25

    /// Rows on the page.
    public let limit: Int
    /// Rows skipped before the page.
    public let offset: Int

    /// - Throws: `IngestError` with code `.invalidInput` saying what is allowed.
    public init(limit: Int = PageRequest.defaultLimit, offset: Int = 0) throws(IngestError) {
        guard (1...Self.maxLimit).contains(limit) else {
            throw .invalidInput("\(limit) is not an allowed limit: give a number from 1 to \(Self.maxLimit)")
        }
        guard offset >= 0 else { throw .invalidInput("\(offset) is not an allowed offset: give 0 or more") }
        self.limit = limit
        self.offset = offset
    }
}

/// One page of activity rows and the number of rows the filter matches in all.
public struct ActivityPage: Sendable {
    /// Rows matching the filter, over all pages.
    public let total: Int
    /// This page's rows, newest first, then by id (descending).
    public let rows: [ActivityRow]
    /// The page that was asked for.
    public let page: PageRequest

    /// The offset of the next page, or `nil` on the last page.
    public var nextOffset: Int? { page.offset + page.limit < total ? page.offset + page.limit : nil }
    /// The offset of the previous page, or `nil` on the first page.
    public var previousOffset: Int? { page.offset > 0 ? max(0, page.offset - page.limit) : nil }
}
