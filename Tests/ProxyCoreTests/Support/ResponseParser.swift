import Foundation
import NIOCore

/// Parses one response from bytes as they arrive, strictly: CRLF line ends, no obs-fold, one
/// framing (never Content-Length with Transfer-Encoding), hex chunk sizes without extensions, each
/// chunk followed by CRLF. Framing errors by the proxy show up here as thrown errors.
struct ResponseParser {
    private enum State {
        case head, fixed(remaining: Int), chunkSize, chunkData(remaining: Int), chunkDataEnd, trailers, untilClose, done
    }

    /// The request was HEAD: the response has no body whatever its fields say.
    let isHead: Bool
    /// Keep the body bytes in the response (small bodies), besides length and checksum.
    let keepBody: Bool
    private var state = State.head
    private var response = RawResponse()

    init(isHead: Bool, keepBody: Bool) {
        self.isHead = isHead
        self.keepBody = keepBody
    }

    /// Consumes what it can from `buffer`; returns the response once complete.
    mutating func parse(_ buffer: inout ByteBuffer) throws(RawResponseError) -> RawResponse? {
        while true {
            switch state {
            case .done:
                return response
            case .head:
                guard let line = try Self.readHead(&buffer) else { return nil }
                try parseHead(line)
            case .fixed(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                consumeBody(buffer.readSlice(length: count)!)
                state = remaining == count ? .done : .fixed(remaining: remaining - count)
            case .chunkSize:
                guard let line = try Self.readLine(&buffer) else { return nil }
                guard !line.isEmpty, line.count <= 16, line.utf8.allSatisfy(\.isHexDigit), let size = Int(line, radix: 16) else {
                    throw RawResponseError(description: "bad chunk size line \(line.debugDescription)")
                }
                response.chunkSizes.append(size)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                consumeBody(buffer.readSlice(length: count)!)
                state = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readString(length: 2) == "\r\n" else { throw RawResponseError(description: "chunk data not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try Self.readLine(&buffer) else { return nil }
                if line.isEmpty {
                    state = .done
                } else {
                    response.trailers.append(try Self.field(line))
                }
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                consumeBody(buffer.readSlice(length: buffer.readableBytes)!)
            }
        }
    }

    /// The connection closed: completes a close-delimited body, otherwise the response was cut short.
    mutating func finishAtClose() throws(RawResponseError) -> RawResponse {
        switch state {
        case .untilClose, .done:
            state = .done
            return response
        case .head:
            throw RawResponseError(description: "connection closed before a complete response head")
        default:
            throw RawResponseError(description: "connection closed inside the body after \(response.bodyLength) bytes (\(response.framing))")
        }
    }

    private mutating func consumeBody(_ slice: ByteBuffer) {
        response.bodyLength += slice.readableBytes
        response.bodyChecksum.update(slice)
        if keepBody { response.body += slice.readableBytesView }
    }

    private mutating func parseHead(_ text: String) throws(RawResponseError) {
        response.headText = text
        var lines = text.components(separatedBy: "\r\n")
        lines.removeLast(2)  // the head ends with an empty line
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), statusLine[1].count == 3, let status = Int(statusLine[1]) else {
            throw RawResponseError(description: "bad status line in \(text.debugDescription)")
        }
        response.version = String(statusLine[0])
        response.status = status
        response.reason = statusLine.count == 3 ? String(statusLine[2]) : ""
        response.headers = try lines.map { line throws(RawResponseError) in try Self.field(line) }

        let lengths = response.values("content-length")
        let codings = response.values("transfer-encoding")
        if !codings.isEmpty && !lengths.isEmpty {
            throw RawResponseError(description: "both Content-Length and Transfer-Encoding in \(text.debugDescription)")
        }
        if isHead || (100..<200).contains(status) || status == 204 || status == 304 {
            response.framing = .none
            state = .done
        } else if !codings.isEmpty {
            guard codings == ["chunked"] else { throw RawResponseError(description: "transfer-encoding \(codings) is not a single chunked") }
            response.framing = .chunked
            state = .chunkSize
        } else if !lengths.isEmpty {
            guard lengths.count == 1, lengths[0].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(lengths[0]) else {
                throw RawResponseError(description: "bad content-length \(lengths)")
            }
            response.framing = .contentLength(length)
            state = length == 0 ? .done : .fixed(remaining: length)
        } else {
            response.framing = .untilClose
            state = .untilClose
        }
    }

    private static func field(_ line: String) throws(RawResponseError) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
            !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }), !line.contains("\r"), !line.contains("\n")
        else { throw RawResponseError(description: "bad field line \(line.debugDescription)") }
        let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        return (String(line[..<colon]), String(value))
    }

    /// A complete head (through CRLF CRLF) as text, or nil if not all there yet.
    private static func readHead(_ buffer: inout ByteBuffer) throws(RawResponseError) -> String? {
        let view = buffer.readableBytesView
        guard let end = view.firstRange(of: [13, 10, 13, 10]) else {
            if view.count > 1 << 20 { throw RawResponseError(description: "no end of head in 1 MiB") }
            return nil
        }
        let length = end.upperBound - view.startIndex
        return buffer.readString(length: length)
    }

    /// One CRLF-terminated line without its CRLF, or nil if not all there yet. A bare LF is an error.
    private static func readLine(_ buffer: inout ByteBuffer) throws(RawResponseError) -> String? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: 10) else { return nil }
        guard lf > view.startIndex, view[lf - 1] == 13 else { throw RawResponseError(description: "bare LF in chunked framing") }
        let line = buffer.readString(length: lf - 1 - view.startIndex)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
