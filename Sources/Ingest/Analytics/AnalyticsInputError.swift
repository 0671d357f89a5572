extension IngestError.Code {
    /// An analyst's input was refused before any query ran (a bad time, limit, group or address).
    public static let invalidInput = IngestError.Code(name: "invalid_input")
}

extension IngestError {
    /// An analyst's input was refused. `message` says what was wrong with the value and what is
    /// allowed; the caller adds the name of the field (a flag or a query parameter).
    static func invalidInput(_ message: String) -> IngestError {
        IngestError(
            code: .invalidInput, operation: "read analytics input", message: message,
            advice: "Correct the value and try again."
        )
    }

    /// True when the error is an analyst's input mistake rather than a database failure.
    public var isInvalidInput: Bool { code == .invalidInput }
}
