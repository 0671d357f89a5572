import Foundation

/// A webhook URL, checked, with the form that may be shown: an incoming webhook's path and query
/// hold its secret, so logs and errors name only `scheme://host[:port]`.
///
/// Invariant: `url` has scheme http or https and a non-empty host.
public struct WebhookAddress: Sendable, Equatable {
    /// The full URL, secret included: passed to the HTTP client only.
    public let url: URL
    /// `https://hooks.example.com`: what logs and errors show.
    public let redacted: String

    /// Nil when `text` is not an http(s) URL with a host.
    public init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, let url = components.url
        else { return nil }
        self.url = url
        self.redacted = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// `text` with every occurrence of the full URL replaced by its redacted form: for error
    /// descriptions from libraries, which may quote the URL they were given.
    public func redact(_ text: String) -> String {
        text.replacingOccurrences(of: url.absoluteString, with: redacted)
    }
}
