import Testing

@testable import ProxyCore

/// Client keep-alive and pipelining, and pooled connections to the upstream.
@Suite struct ConnectionReuseTests {
    @Test func keepAliveRequestsShareOneUpstreamConnection() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            for index in 1...3 {
                try await client.send("GET /echo?n=\(index) HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try await client.readResponse()
                #expect(try response.echo().uri == "/echo?n=\(index)")
                #expect(response.values("connection").isEmpty)
            }
            #expect(proxy.backend.log.value.acceptedConnections == 1)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo?n=1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo?n=2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    + "HEAD /stream?bytes=10 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?n=4 HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().echo().uri == "/echo?n=1")
            let second = try await client.readResponse().echo()
            #expect(second.uri == "/echo?n=2")
            #expect(second.bodyLength == 3)
            let third = try await client.readResponse(isHead: true)
            #expect(third.value("content-length") == "10")
            #expect(try await client.readResponse().echo().uri == "/echo?n=4")
        }
    }

    /// A pipelined upload larger than any one read: part of it waits behind the first response,
    /// the rest is read only once it is that request's turn.
    @Test(arguments: [false, true])
    func pipelinedLargeUploadArrivesWhole(chunked: Bool) async throws {
        try await ProxyHarness.run { proxy in
            let body = PatternBody(size: 4 << 20)
            let client = try await proxy.connect()
            let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(body.size)"
            try await client.send("GET /echo?n=1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo?n=2 HTTP/1.1\r\nHost: a\r\n\(framing)\r\n\r\n")
            try await client.send(body, chunked: chunked)
            try await client.send("GET /echo?n=3 HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await client.readResponse().echo().uri == "/echo?n=1")
            let upload = try await client.readResponse().echo()
            #expect(upload.bodyLength == body.size)
            #expect(upload.bodyChecksum == body.checksum.description)
            #expect(try await client.readResponse().echo().uri == "/echo?n=3")
        }
    }

    @Test func connectionCloseClosesAfterTheResponse() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.value("connection") == "close")
            try await client.expectClosed()
        }
    }
}
