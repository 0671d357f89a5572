import Foundation

/// What the test upstream's echo answers: the request as the upstream received it, with the body
/// reduced to its length and checksum. JSON on the wire.
struct EchoReport: Codable, Equatable, Sendable {
    var method: String
    var uri: String
    var version: String
    /// Header field lines in order, each `[name, value]`.
    var headers: [[String]]
    var bodyLength: Int
    var bodyChecksum: String
    /// Trailer field lines of a chunked body, each `[name, value]`.
    var trailers: [[String]]

    /// Every value of `name` (any case), in order.
    func values(_ name: String) -> [String] {
        headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
    }

    /// The single value of `name`, or nil; several values are a test failure for the caller.
    func value(_ name: String) -> String? {
        let all = values(name)
        return all.count == 1 ? all[0] : (all.isEmpty ? nil : all.joined(separator: " | "))
    }

    init(
        method: String, uri: String, version: String, headers: [[String]], bodyLength: Int, bodyChecksum: String,
        trailers: [[String]]
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.bodyLength = bodyLength
        self.bodyChecksum = bodyChecksum
        self.trailers = trailers
    }

    init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(json))
    }

    var json: [UInt8] {
        // Encoding a struct of strings and integers cannot fail.
        Array(try! JSONEncoder().encode(self))
    }
}
