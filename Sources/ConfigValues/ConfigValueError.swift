/// A configuration value that could not be read, with a sentence saying what is allowed.
///
/// The key path is filled in by the decoder that knows it (see `DecodingError` context); this error
/// only carries the value and the rule it broke.
public struct ConfigValueError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The text that was rejected, as written in the file, flag or environment variable.
    public var value: String
    /// What the value should look like, e.g. `a duration such as "250ms", "5s" or "2m"`.
    public var expected: String

    public init(value: String, expected: String) {
        self.value = value
        self.expected = expected
    }

    public var description: String { "\"\(value)\" is not \(expected)" }
}
