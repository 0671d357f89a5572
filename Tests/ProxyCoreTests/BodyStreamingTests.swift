import Testing

@testable import ProxyCore

/// Bodies both ways, streamed and checked by checksum: Content-Length and chunked, large and
/// small, 100-continue, and responses that have no body.
@Suite struct BodyStreamingTests {
    static let large = 64 << 20

    @Test(arguments: [false, true])
    func largeUploadArrivesWhole(chunked: Bool) async throws {
        try await ProxyHarness.run { proxy in
            let body = PatternBody(size: Self.large)
            let client = try await proxy.connect()
            let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(body.size)"
            try await client.send("POST /echo HTTP/1.1\r\nHost: a\r\n\(framing)\r\n\r\n")
            try await client.send(body, chunked: chunked)
            let response = try await client.readResponse(timeout: .seconds(60))
            #expect(response.status == 200)
            let echo = try response.echo()
            #expect(echo.bodyLength == body.size)
            #expect(echo.bodyChecksum == body.checksum.description)
            #expect(echo.values("transfer-encoding") == (chunked ? ["chunked"] : []))
            #expect(echo.values("content-length") == (chunked ? [] : [String(body.size)]))
        }
    }

    @Test(arguments: ["length", "chunked"])
    func largeDownloadArrivesWhole(framing: String) async throws {
        try await ProxyHarness.run { proxy in
            let body = PatternBody(size: Self.large)
            let client = try await proxy.connect()
            try await client.send("GET /stream?bytes=\(body.size)&framing=\(framing) HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse(keepBody: false, timeout: .seconds(60))
            #expect(response.status == 200)
            #expect(response.framing == (framing == "chunked" ? .chunked : .contentLength(body.size)))
            #expect(response.bodyLength == body.size)
            #expect(response.bodyChecksum == body.checksum)
        }
    }

    @Test func chunkedRequestKeepsItsTrailersOutOfTheHeaders() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Digest: abc\r\n\r\n")
            let echo = try await client.readResponse().echo()
            var expected = BodyChecksum()
            expected.update(Array("hello world".utf8))
            #expect(echo.bodyLength == 11)
            #expect(echo.bodyChecksum == expected.description)
            #expect(echo.values("transfer-encoding") == ["chunked"])
            #expect(echo.values("x-digest").isEmpty)
            #expect(echo.trailers == [["X-Digest", "abc"]])
        }
    }

    @Test func smallChunkedResponseIsReframedChunked() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /stream?bytes=1000&framing=chunked HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.framing == .chunked)
            #expect(response.chunkSizes.last == 0)
            #expect(response.body == (0..<1000).map { UInt8($0 % 251) })
        }
    }

    @Test func expectContinueIsAnsweredBeforeTheBodyIsSent() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("PUT /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try await client.readResponse(timeout: .seconds(5))
            #expect(interim.status == 100)
            try await client.send("hello")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            let echo = try response.echo()
            #expect(echo.bodyLength == 5)
            #expect(echo.values("expect").isEmpty)
        }
    }

    @Test func headResponseHasNoBody() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("HEAD /stream?bytes=1000 HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = try await client.readResponse(isHead: true)
            #expect(head.status == 200)
            #expect(head.value("content-length") == "1000")
            // A body byte after the head would be read as the start of the next response.
            try await client.send("GET /echo?next HTTP/1.1\r\nHost: a\r\n\r\n")
            let next = try await client.readResponse()
            #expect(next.status == 200)
            #expect(try next.echo().uri == "/echo?next")
        }
    }

    @Test(arguments: [204, 304])
    func bodylessStatusHasNoBody(status: Int) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /status/\(status) HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == status)
            #expect(response.values("transfer-encoding").isEmpty)
            if status == 204 { #expect(response.values("content-length").isEmpty) }
            try await client.send("GET /echo?next HTTP/1.1\r\nHost: a\r\n\r\n")
            let next = try await client.readResponse()
            #expect(try next.echo().uri == "/echo?next")
        }
    }
}
