import NIOHTTP1

/// Why the proxy answered a request itself instead of forwarding it.
///
/// `reason` is a short stable label, fit for the `reason` label of the rejected-requests metric and
/// for logs; `status` is what the client receives.
struct RequestRejection: Error, Equatable, Sendable {
    var status: HTTPResponseStatus
    var reason: String
    /// After a framing error nothing more on the connection can be trusted: it is closed.
    var closeConnection: Bool

    static func badRequest(_ reason: String) -> Self { .init(status: .badRequest, reason: reason, closeConnection: true) }

    static let headersTooLarge = Self(status: .requestHeaderFieldsTooLarge, reason: "header_too_large", closeConnection: true)
    static let uriTooLong = Self(status: .uriTooLong, reason: "uri_too_long", closeConnection: true)
    static let bodyTooLarge = Self(status: .payloadTooLarge, reason: "body_too_large", closeConnection: true)
    static let unsupportedTransferCoding = Self(status: .notImplemented, reason: "unsupported_transfer_coding", closeConnection: true)
    static let unsupportedVersion = Self(status: .httpVersionNotSupported, reason: "unsupported_version", closeConnection: true)
    static let connectNotAllowed = Self(status: .methodNotAllowed, reason: "connect_method", closeConnection: true)
    static let expectationFailed = Self(status: .expectationFailed, reason: "unsupported_expectation", closeConnection: true)
}
