import Testing

@testable import ProxyCore

/// Requests the proxy answers itself, with the right status, without bothering the upstream.
@Suite struct ErrorStatusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        var status: Int
        var testDescription: String { name }
    }

    static let badRequests: [Case] = [
        Case(name: "space inside the target", request: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "no request line", request: "GARBAGE\r\n\r\n", status: 400),
        Case(name: "tab as separator", request: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "NUL in the target", request: "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "trailing junk after the version", request: "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "asterisk target for GET", request: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "space in a field name", request: "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", status: 400),
        Case(name: "control byte in a field name", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A\u{1}: x\r\n\r\n", status: 400),
        Case(name: "empty field name", request: "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", status: 400),
        Case(name: "missing Host in HTTP/1.1", request: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400),
        Case(name: "two Host fields", request: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Case(name: "HTTP/2.0 request line", request: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "HTTP/1.2 request line", request: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "CONNECT", request: "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", status: 405),
        Case(name: "unknown expectation", request: "GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", status: 417),
        Case(name: "transfer coding before chunked", request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", status: 501),
    ]

    @Test(arguments: badRequests)
    func rejectedBeforeReachingTheUpstream(_ testCase: Case) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(testCase.request)
            let response = try await client.readResponse()
            #expect(response.status == testCase.status)
            #expect(response.value("connection") == "close")
            try await client.expectClosed()
            #expect(proxy.backend.log.value.acceptedConnections == 0)
        }
    }

    /// 9,000 bytes pass the decoder and are refused by the proxy's own limit; 100 KB trip the
    /// decoder's header limit first, and are still a target too long, not headers too large.
    @Test(arguments: [9000, 100_000])
    func overlongTargetIs414(length: Int) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /\(String(repeating: "a", count: length)) HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().status == 414)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.acceptedConnections == 0)
        }
    }

    /// An answer to HEAD never carries a body, also when the proxy answers itself (the fuzz
    /// target found the body written after the head).
    @Test func refusedHEADGetsNoBody() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("HEAD /echo HTTP/1.1\r\nHost: bad host\r\n\r\n")
            let response = try await client.readResponse(isHead: true)
            #expect(response.status == 400)
            try await client.expectClosed()
        }
    }

    /// A request pipelined behind one the proxy refused is dropped with the connection (it used
    /// to reach a state where a head was not expected: a trap in debug builds).
    @Test func requestPipelinedAfterARejectedOneIsDropped() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\nGET /echo?second HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().status == 417)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.heads.isEmpty)
        }
    }

    /// 40 KiB passes the decoder and is refused by the proxy's own limit; 200 KiB trips the decoder's.
    @Test(arguments: [40 << 10, 200 << 10])
    func oversizedHeaderSectionIs431(size: Int) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            let filler = (0..<(size / 1000)).map { "X-Filler-\($0): \(String(repeating: "f", count: 980))\r\n" }.joined()
            try await client.send("GET / HTTP/1.1\r\nHost: a\r\n\(filler)\r\n")
            #expect(try await client.readResponse().status == 431)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.acceptedConnections == 0)
        }
    }

    @Test func declaredBodyOverTheLimitIs413() async throws {
        try await ProxyHarness.run(configure: { $0.client.maxBodyBytes = .kibibytes(1) }) { proxy in
            let client = try await proxy.connect()
            try await client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n")
            #expect(try await client.readResponse().status == 413)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.acceptedConnections == 0)
        }
    }

    @Test func chunkedBodyOverTheLimitIs413() async throws {
        try await ProxyHarness.run(configure: { $0.client.maxBodyBytes = .kibibytes(1) }) { proxy in
            let client = try await proxy.connect()
            try await client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            // The proxy may close before the whole body is written; the 413 is what counts.
            try? await client.send(PatternBody(size: 4096), chunked: true)
            #expect(try await client.readResponse().status == 413)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.completedRequests == 0)
        }
    }

    @Test func bodyWithinTheLimitPasses() async throws {
        try await ProxyHarness.run(configure: { $0.client.maxBodyBytes = .kibibytes(1) }) { proxy in
            let client = try await proxy.connect()
            try await client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n")
            try await client.send(PatternBody(size: 1024), chunked: false)
            #expect(try await client.readResponse().echo().bodyLength == 1024)
        }
    }
}
