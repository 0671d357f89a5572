import PostgreSQL
/// Whole numbers as analysts write them in query parameters (`limit=50`, `offset=100`, `top=10`).
///
/// Stricter than `Int(_:)`: ASCII digits only, with an optional leading `-` (so that `-1` is
/// answered "out of range" rather than "not a number"); no `+`, no spaces, no other digits.
/// Never traps, whatever the text: a number too long for `Int` is out of range like any other.
public enum WholeNumber {
    /// Parses `text` and checks it against `range`.
    ///
    /// - Throws: `StorageError` `.invalidInput` with a sentence naming the allowed range.
    public static func parse(_ text: some StringProtocol, in range: ClosedRange<Int>) throws(StorageError) -> Int {
        let allowed = "give a whole number from \(range.lowerBound) to \(range.upperBound)"
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalidInput("\(InputQuote.quote(text)) is not a whole number: \(allowed)")
        }
        // Accumulate with overflow checks: past `Int`'s range the value is out of any range.
        var value = 0
        for digit in digits.utf8 {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw .invalidInput("\(InputQuote.quote(text)) is out of range: \(allowed)") }
            value = sum
        }
        if negative { value = -value }
        guard range.contains(value) else { throw .invalidInput("\(value) is out of range: \(allowed)") }
        return value
    }
}
