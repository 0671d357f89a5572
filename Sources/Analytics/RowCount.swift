import PostgreSQL
/// Row counts as PostgreSQL answers them (`count(*)`, `sum(rows)`), read without trusting them:
/// a database answer is outside input like any other, and arithmetic on it must never trap.
enum RowCount {
    /// The largest count believed: far beyond any table this sidecar writes (2^48 ≈ 2.8e14 rows).
    static let maximum = 1 << 48

    /// The count in `text` (`nil`, SQL NULL, is 0).
    ///
    /// - Throws: `StorageError` `.unexpectedAnswer` for anything but a number in 0...`maximum`.
    static func parse(_ text: String?, _ operation: String) throws(StorageError) -> Int {
        guard let text else { return 0 }
        guard let value = Int(text), (0...maximum).contains(value) else {
            throw .unexpectedAnswer(operation, "\(InputQuote.quote(text)) is not a row count")
        }
        return value
    }

    /// The sum of `counts`, saturating at `Int.max` instead of trapping.
    static func sum(_ counts: some Sequence<Int>) -> Int {
        counts.reduce(0) { total, count in
            let (sum, overflow) = total.addingReportingOverflow(count)
            return overflow ? Int.max : sum
        }
    }
}
