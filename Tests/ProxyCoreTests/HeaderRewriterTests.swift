import Foundation
import NIOHTTP1
import Testing

@testable import ProxyCore

/// `HeaderRewriter` on its own: the head sent upstream and the head sent back to the client.
@Suite struct HeaderRewriterTests {
    struct UpstreamCase: CustomTestStringConvertible, Sendable {
        var name: String
        var uri = "/"
        var headers: [(String, String)]
        var framing = RequestFraming.none
        var isUpgrade = false
        var trusted = false
        var upstreamHost: String?
        var expectedURI = "/"
        /// The exact field lines expected upstream, in order.
        var expected: [(String, String)]
        var testDescription: String { name }
    }

    static let upstreamCases: [UpstreamCase] = [
        UpstreamCase(
            name: "hop-by-hop fields go, end-to-end fields stay",
            headers: [
                ("Host", "a"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "timeout=5"),
                ("Proxy-Connection", "keep-alive"), ("TE", "trailers"), ("Upgrade", "h2c"), ("Accept", "*/*"),
            ],
            expected: [("Accept", "*/*"), ("host", "a"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "a")]),
        UpstreamCase(
            name: "untrusted peer's X-Forwarded-* are replaced",
            headers: [("Host", "a"), ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil")],
            expected: [("host", "a"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "a")]),
        UpstreamCase(
            name: "trusted peer's X-Forwarded-For is appended to",
            headers: [
                ("Host", "a"), ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2"), ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "public"),
            ],
            trusted: true,
            expected: [
                ("host", "a"), ("x-forwarded-for", "1.1.1.1, 2.2.2.2, 10.0.0.1"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "public"),
            ]),
        UpstreamCase(
            name: "rewrite_host", headers: [("Host", "a")], upstreamHost: "app:8000",
            expected: [("host", "app:8000"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "a")]),
        UpstreamCase(
            name: "absolute form", uri: "http://b:81?q", headers: [("Host", "a")], expectedURI: "/?q",
            expected: [("host", "b:81"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "b:81")]),
        UpstreamCase(
            name: "Content-Length is rewritten once", headers: [("Host", "a"), ("Content-Length", "5, 5")], framing: .contentLength(5),
            expected: [
                ("host", "a"), ("content-length", "5"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "a"),
            ]),
        UpstreamCase(
            name: "chunked is re-framed, Expect answered here",
            headers: [("Host", "a"), ("Transfer-Encoding", "Chunked"), ("Expect", "100-continue")], framing: .chunked,
            expected: [
                ("host", "a"), ("transfer-encoding", "chunked"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "http"),
                ("x-forwarded-host", "a"),
            ]),
        UpstreamCase(
            name: "upgrade keeps Upgrade", headers: [("Host", "a"), ("Connection", "Upgrade"), ("Upgrade", "websocket")], isUpgrade: true,
            expected: [
                ("host", "a"), ("upgrade", "websocket"), ("connection", "upgrade"), ("x-forwarded-for", "10.0.0.1"),
                ("x-forwarded-proto", "http"), ("x-forwarded-host", "a"),
            ]),
    ]

    @Test(arguments: upstreamCases)
    func upstreamHead(_ testCase: UpstreamCase) {
        let rewriter = HeaderRewriter(upstreamHost: testCase.upstreamHost)
        let head = HTTPRequestHead(version: .http1_0, method: .POST, uri: testCase.uri, headers: HTTPHeaders(testCase.headers))
        let verdict = RequestHeadValidator.Verdict(framing: testCase.framing, expectsContinue: false, isUpgrade: testCase.isUpgrade)
        let result = rewriter.upstreamHead(for: head, verdict: verdict, peer: .init(address: "10.0.0.1", isTrusted: testCase.trusted))
        #expect(result.version == .http1_1)
        #expect(result.method == .POST)
        #expect(result.uri == testCase.expectedURI)
        #expect(result.headers.map { "\($0.name): \($0.value)" } == testCase.expected.map { "\($0.0): \($0.1)" })
    }

    struct ClientCase: CustomTestStringConvertible, Sendable {
        var name: String
        var status = HTTPResponseStatus.ok
        var headers: [(String, String)]
        var requestVersion = HTTPVersion.http1_1
        var isHead = false
        var upgrading = false
        var framing: HeaderRewriter.ResponseFraming
        var expected: [(String, String)]
        var keepAlive = true
        var testDescription: String { name }
    }

    static let clientCases: [ClientCase] = [
        ClientCase(
            name: "Content-Length kept", headers: [("Content-Length", "5"), ("Connection", "x-a"), ("X-A", "1"), ("Keep-Alive", "t=1")],
            framing: .contentLength, expected: [("Content-Length", "5")]),
        ClientCase(name: "no length: chunked", headers: [("X-B", "2")], framing: .chunked, expected: [("X-B", "2"), ("transfer-encoding", "chunked")]),
        ClientCase(
            name: "upstream chunked re-framed once", headers: [("Transfer-Encoding", "chunked")], framing: .chunked,
            expected: [("transfer-encoding", "chunked")]),
        ClientCase(
            name: "HTTP/1.0 client: close-delimited", headers: [("Transfer-Encoding", "chunked")], requestVersion: .http1_0,
            framing: .closeDelimited, expected: [("connection", "close")], keepAlive: false),
        ClientCase(
            name: "HTTP/1.0 client with length keeps alive", headers: [("Content-Length", "1")], requestVersion: .http1_0,
            framing: .contentLength, expected: [("Content-Length", "1"), ("connection", "keep-alive")]),
        ClientCase(name: "HEAD", headers: [("Content-Length", "9")], isHead: true, framing: .none, expected: [("Content-Length", "9")]),
        ClientCase(name: "204 drops Content-Length", status: .noContent, headers: [("Content-Length", "0")], framing: .none, expected: []),
        ClientCase(name: "304 keeps Content-Length", status: .notModified, headers: [("Content-Length", "9")], framing: .none, expected: [("Content-Length", "9")]),
        ClientCase(
            name: "101 keeps Upgrade", status: .switchingProtocols, headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")],
            upgrading: true, framing: .none, expected: [("Upgrade", "websocket"), ("connection", "upgrade")]),
    ]

    @Test(arguments: clientCases)
    func clientHead(_ testCase: ClientCase) {
        var keepAlive = true
        let (head, framing) = HeaderRewriter().clientHead(
            for: HTTPResponseHead(version: .http1_1, status: testCase.status, headers: HTTPHeaders(testCase.headers)),
            requestVersion: testCase.requestVersion, requestIsHead: testCase.isHead, keepAlive: &keepAlive, upgrading: testCase.upgrading)
        #expect(head.version == testCase.requestVersion)
        #expect(head.status == testCase.status)
        #expect(framing == testCase.framing)
        #expect(keepAlive == testCase.keepAlive)
        #expect(head.headers.map { "\($0.name): \($0.value)" } == testCase.expected.map { "\($0.0): \($0.1)" })
    }

    @Test func strippedResponseHeadersNeverReachTheClient() {
        var keepAlive = true
        let rewriter = HeaderRewriter(strippedResponseHeaders: ["x-user-id"])
        let (head, _) = rewriter.clientHead(
            for: HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders([("X-User-ID", "42"), ("Content-Length", "0")])),
            requestVersion: .http1_1, requestIsHead: false, keepAlive: &keepAlive, upgrading: false)
        #expect(head.headers["x-user-id"].isEmpty)
        #expect(head.headers["content-length"] == ["0"])
    }

    @Test func headerNamesAreRecognisedInAnyCaseAndOnlyExactly() {
        let known: [(String, HeaderName)] = [
            ("te", .te), ("host", .host), ("expect", .expect), ("upgrade", .upgrade), ("trailer", .trailer),
            ("connection", .connection), ("keep-alive", .keepAlive), ("content-length", .contentLength),
            ("x-forwarded-for", .xForwardedFor), ("proxy-connection", .proxyConnection), ("x-forwarded-host", .xForwardedHost),
            ("transfer-encoding", .transferEncoding), ("x-forwarded-proto", .xForwardedProto),
        ]
        for (name, kind) in known {
            #expect(HeaderName(name) == kind, "\(name)")
            #expect(HeaderName(name.uppercased()) == kind, "\(name.uppercased())")
            #expect(HeaderName(name.capitalized) == kind, "\(name.capitalized)")
            // One byte off, one byte more or less: never ours.
            #expect(HeaderName(String(name.dropLast()) + "x") == .other, "\(name) with its last byte changed")
            #expect(HeaderName(name + "s") == .other)
            #expect(HeaderName(String(name.dropFirst())) == .other)
        }
        // Case folding is ASCII letters only: `-` and `_`, `[` and `{` never fold into each other.
        #expect(HeaderName("keep_alive") == .other)
        #expect(HeaderName("x{forwarded-for") == .other)
        #expect(HeaderName("Content-Type") == .other)
        #expect(HeaderName("") == .other)
        #expect(HeaderName("höst") == .other)
    }

    @Test func fieldsNamedByConnectionAreDroppedBothWays() {
        let rewriter = HeaderRewriter()
        let upstream = rewriter.upstreamHead(
            for: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders([
                ("X-Secret", "1"), ("Host", "a"), ("Connection", "x-secret"), ("connection", "close, X-Other"), ("X-Other", "2"), ("X-Kept", "3"),
            ])),
            verdict: .init(framing: .none, expectsContinue: false, isUpgrade: false), peer: .init(address: "10.0.0.1", isTrusted: false))
        #expect(upstream.headers["x-secret"].isEmpty)
        #expect(upstream.headers["x-other"].isEmpty)
        #expect(upstream.headers["x-kept"] == ["3"])
        var keepAlive = true
        let (client, framing) = rewriter.clientHead(
            for: HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders([
                ("Content-Length", "2"), ("X-Internal", "1"), ("Connection", "X-Internal, Content-Length"), ("X-Kept", "3"),
            ])),
            requestVersion: .http1_1, requestIsHead: false, keepAlive: &keepAlive, upgrading: false)
        #expect(client.headers["x-internal"].isEmpty)
        #expect(client.headers["content-length"].isEmpty)
        #expect(client.headers["x-kept"] == ["3"])
        #expect(framing == .chunked, "a body whose length was hop-by-hop is re-framed")
    }
}
