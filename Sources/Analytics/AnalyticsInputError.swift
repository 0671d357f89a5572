import PostgreSQL
extension StorageError.Code {
    /// An analyst's input was refused before any query ran (a bad time, limit, group or address).
    public static let invalidInput = StorageError.Code(name: "invalid_input")
    /// PostgreSQL answered an analytics query with something this module cannot read (a count
    /// that is not a count, a row with the wrong number of columns).
    public static let unexpectedAnswer = StorageError.Code(name: "unexpected_answer")
}

extension StorageError {
    /// An analyst's input was refused. `message` says what was wrong with the value and what is
    /// allowed; the caller adds the name of the field (a flag or a query parameter).
    static func invalidInput(_ message: String) -> StorageError {
        StorageError(
            code: .invalidInput, operation: "read analytics input", message: message,
            advice: "Correct the value and try again."
        )
    }

    /// PostgreSQL's answer to `operation` did not have the expected shape.
    static func unexpectedAnswer(_ operation: String, _ message: String) -> StorageError {
        StorageError(
            code: .unexpectedAnswer, operation: operation, message: message,
            advice: "Check that the database is the one `trackingproxy db migrate` prepared, and its server log."
        )
    }

    /// True when the error is an analyst's input mistake rather than a database failure.
    public var isInvalidInput: Bool { code == .invalidInput }
}

/// Analysts' text as quoted in error messages: in double quotes and cut to `maximum` characters,
/// so that a megabyte of query string never comes back in a 400 body or a log line.
public enum InputQuote {
    /// The longest quoted text, in characters, before it is cut with `…`.
    public static let maximum = 40

    /// `"text"`, or `"first 40 characters…"`.
    public static func quote(_ text: some StringProtocol) -> String {
        text.count <= maximum ? "\"\(text)\"" : "\"\(text.prefix(maximum))…\""
    }
}
