/// An HTTP/1.1 response exactly as it came off the wire, parsed by the test itself.
struct RawResponse: Sendable {
    /// How the body was delimited on the wire.
    enum Framing: Equatable, Sendable {
        case none, contentLength(Int), chunked, untilClose
    }

    var version = ""
    var status = 0
    var reason = ""
    /// Field lines in order, names as sent.
    var headers: [(name: String, value: String)] = []
    /// The head's bytes as text, status line through the empty line.
    var headText = ""
    var framing = Framing.none
    /// The body, when the read kept it (small bodies); `bodyLength` and `bodyChecksum` always.
    var body: [UInt8] = []
    var bodyLength = 0
    var bodyChecksum = BodyChecksum()
    var chunkSizes: [Int] = []
    var trailers: [(name: String, value: String)] = []

    /// Every value of `name` (any case), in order.
    func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The single value of `name`, or nil.
    func value(_ name: String) -> String? {
        let all = values(name)
        return all.count == 1 ? all[0] : (all.isEmpty ? nil : all.joined(separator: " | "))
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The upstream's echo of the request, for responses from `/echo`.
    func echo() throws -> EchoReport { try EchoReport(json: body) }
}

/// The response bytes broke HTTP/1.1 framing rules (RFC 9112), or ended early.
struct RawResponseError: Error, CustomStringConvertible {
    var description: String
}
