import Testing

@testable import ProxyCore

/// Header handling both ways: hop-by-hop fields stripped (RFC 9110 §7.6.1), `Host` kept or
/// rewritten, `X-Forwarded-*` written from what the proxy can vouch for.
@Suite struct HeaderForwardingTests {
    @Test func requestHopByHopFieldsAreStripped() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: app.example:8443\r\nConnection: keep-alive, X-Hop-Secret\r\nX-Hop-Secret: s3cret\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\n"
                    + "X-End-To-End: kept\r\nAccept: */*\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            let echo = try response.echo()
            for name in ["connection", "x-hop-secret", "keep-alive", "proxy-connection", "te", "upgrade", "transfer-encoding", "content-length"] {
                #expect(echo.values(name).isEmpty, "\(name) reached the upstream")
            }
            #expect(echo.value("x-end-to-end") == "kept")
            #expect(echo.value("accept") == "*/*")
            #expect(echo.value("host") == "app.example:8443")
            #expect(echo.version == "HTTP/1.1")
        }
    }

    @Test func forwardedFieldsComeFromTheDirectPeer() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7\r\n"
                    + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n\r\n")
            let echo = try await client.readResponse().echo()
            // An untrusted peer's own claims are dropped: the values are what the proxy saw.
            #expect(echo.values("x-forwarded-for") == ["127.0.0.1"])
            #expect(echo.values("x-forwarded-proto") == ["http"])
            #expect(echo.values("x-forwarded-host") == ["app.example"])
        }
    }

    @Test func trustedPeerForwardedForIsAppendedTo() async throws {
        try await ProxyHarness.run(trustPeers: true) { proxy in
            let client = try await proxy.connect()
            try await client.send(
                "GET /echo HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: public.example\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.values("x-forwarded-for") == ["6.6.6.6, 127.0.0.1"])
            #expect(echo.values("x-forwarded-proto") == ["https"])
            #expect(echo.values("x-forwarded-host") == ["public.example"])
        }
    }

    @Test func rewriteHostSendsTheUpstreamsHost() async throws {
        try await ProxyHarness.run(configure: { $0.upstream.rewriteHost = true }) { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /echo HTTP/1.1\r\nHost: app.example\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.values("host") == ["127.0.0.1:\(proxy.backend.port)"])
            #expect(echo.values("x-forwarded-host") == ["app.example"])
        }
    }

    @Test func absoluteFormTargetIsForwardedInOriginForm() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET http://app.example:81/a/b?c=d HTTP/1.1\r\nHost: other.example\r\n\r\n")
            let echo = try await client.readResponse().echo()
            #expect(echo.uri == "/a/b?c=d")
            // RFC 9112 §3.2.2: the target's authority replaces Host.
            #expect(echo.values("host") == ["app.example:81"])
        }
    }

    @Test func responseHopByHopFieldsAreStrippedAndBodyReframed() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /hop HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            for name in ["connection", "x-upstream-private", "keep-alive", "proxy-connection", "te"] {
                #expect(response.values(name).isEmpty, "\(name) reached the client")
            }
            #expect(response.value("x-end-to-end") == "kept")
            #expect(response.values("transfer-encoding") == ["chunked"])
            #expect(response.framing == .chunked)
            #expect(response.bodyText == "hello world")
        }
    }

    @Test func http10ClientGetsACloseDelimitedBodyForAChunkedResponse() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            try await client.send("GET /hop HTTP/1.0\r\nHost: a\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.version == "HTTP/1.0")
            #expect(response.values("transfer-encoding").isEmpty)
            #expect(response.value("connection") == "close")
            #expect(response.framing == .untilClose)
            #expect(response.bodyText == "hello world")
        }
    }

    @Test func http10KeepAliveIsHonoured() async throws {
        try await ProxyHarness.run { proxy in
            let client = try await proxy.connect()
            for _ in 0..<2 {
                try await client.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.status == 200)
                #expect(response.value("connection") == "keep-alive")
                #expect(try response.echo().values("connection").isEmpty)
            }
        }
    }
}
