/// Why a report was not delivered or written. The webhook's URL appears only redacted.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// Every POST to the webhook failed; `lastFailure` is the last attempt's status or error.
    /// `attempts` 0: the URL itself is unusable (`address` then names the key).
    case webhookFailed(address: String, attempts: Int, lastFailure: String)
    /// A report file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .webhookFailed(let address, 0, let lastFailure):
            "\(address) cannot be used: \(lastFailure); the report files are written; fix reports.webhook_url"
        case .webhookFailed(let address, let attempts, let lastFailure):
            "the webhook at \(address) failed \(attempts) time\(attempts == 1 ? "" : "s"), last: \(lastFailure); "
                + "the report files are written; check reports.webhook_url and the webhook's service"
        case .writeFailed(let path, let reason):
            "cannot write the report to \(path): \(reason); check that reports.directory exists and is writable"
        }
    }
}
