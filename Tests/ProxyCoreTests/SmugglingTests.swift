import Testing

@testable import ProxyCore

/// Requests whose framing the upstream could read differently from the proxy (request smuggling):
/// each is answered 400, the connection is closed, and the upstream sees nothing of it.
@Suite struct SmugglingTests {
    typealias Case = ErrorStatusTests.Case

    static func post(_ fields: String, body: String = "", version: String = "1.1") -> String {
        "POST / HTTP/\(version)\r\nHost: a\r\n\(fields)\r\n\(body)"
    }

    static let headCases: [Case] = [
        Case(name: "CL.TE", request: post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\nG"), status: 400),
        Case(name: "TE.CL", request: post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", body: "8\r\nSMUGGLED\r\n0\r\n\r\n"), status: 400),
        Case(name: "differing Content-Length lines", request: post("Content-Length: 5\r\nContent-Length: 6\r\n", body: "hello!"), status: 400),
        Case(name: "differing Content-Length list", request: post("Content-Length: 5, 6\r\n", body: "hello!"), status: 400),
        Case(name: "Content-Length with plus sign", request: post("Content-Length: +5\r\n", body: "hello"), status: 400),
        Case(name: "Content-Length with minus sign", request: post("Content-Length: -5\r\n", body: "hello"), status: 400),
        Case(name: "Content-Length with inner space", request: post("Content-Length: 1 0\r\n", body: "0123456789"), status: 400),
        Case(name: "Content-Length in hex", request: post("Content-Length: 0x5\r\n", body: "hello"), status: 400),
        Case(name: "Content-Length overflowing", request: post("Content-Length: 99999999999999999999999\r\n", body: "hello"), status: 400),
        Case(name: "TE xchunked", request: post("Transfer-Encoding: xchunked\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE chunked, identity", request: post("Transfer-Encoding: chunked, identity\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE identity", request: post("Transfer-Encoding: identity\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE chunked twice", request: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE with space before the colon", request: post("Transfer-Encoding : chunked\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE with vertical tab", request: post("Transfer-Encoding:\u{0B}chunked\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE folded onto the previous line", request: post("X-A: a\r\n Transfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), status: 400),
        Case(name: "TE in HTTP/1.0", request: post("Transfer-Encoding: chunked\r\n", body: "0\r\n\r\n", version: "1.0"), status: 400),
        Case(name: "obs-fold", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n", status: 400),
        Case(name: "obs-fold with tab", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n\tb\r\n\r\n", status: 400),
        Case(name: "NUL in a value", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", status: 400),
        Case(name: "bare CR in a value", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", status: 400),
        Case(name: "absolute form with userinfo", request: "GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "absolute form without authority", request: "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "absolute form with another scheme", request: "GET ftp://a/x HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
        Case(name: "relative target without slash", request: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400),
    ]

    @Test(arguments: headCases)
    func ambiguousHeadIsRefused(_ testCase: Case) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(testCase.request)
            let response = try await client.readResponse()
            #expect(response.status == testCase.status)
            try await client.expectClosed()
            let log = proxy.backend.log.value
            #expect(log.acceptedConnections == 0)
            #expect(log.heads.isEmpty)
        }
    }

    static let chunkCases: [Case] = [
        Case(name: "overflowing chunk size", request: post("Transfer-Encoding: chunked\r\n", body: "FFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n"), status: 400),
        Case(name: "non-hex chunk size", request: post("Transfer-Encoding: chunked\r\n", body: "zz\r\nx\r\n0\r\n\r\n"), status: 400),
        Case(name: "negative chunk size", request: post("Transfer-Encoding: chunked\r\n", body: "-1\r\nx\r\n0\r\n\r\n"), status: 400),
        Case(name: "chunk data not followed by CRLF", request: post("Transfer-Encoding: chunked\r\n", body: "3\r\nabcdef\r\n0\r\n\r\n"), status: 400),
    ]

    /// The head is valid and may already be upstream; the body is not, so the upstream never gets
    /// a complete request.
    @Test(arguments: chunkCases)
    func malformedChunkIsRefused(_ testCase: Case) async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(testCase.request)
            let response = try await client.readResponse()
            #expect(response.status == testCase.status)
            try await client.expectClosed()
            #expect(proxy.backend.log.value.completedRequests == 0)
        }
    }
}
