/// How a request's body is delimited, as the proxy will forward it (RFC 9112 §6).
enum RequestFraming: Equatable, Sendable {
    /// No body.
    case none
    /// Exactly this many bytes.
    case contentLength(Int64)
    /// Chunked transfer coding, re-framed by the proxy's own encoder.
    case chunked
}
