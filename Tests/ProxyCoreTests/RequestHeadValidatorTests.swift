import NIOHTTP1
import Testing

@testable import ProxyCore

/// `RequestHeadValidator` on its own: what it accepts, with which framing, and what it refuses.
@Suite struct RequestHeadValidatorTests {
    enum Outcome: Equatable, Sendable {
        case accepted(RequestFraming, expectsContinue: Bool = false, isUpgrade: Bool = false)
        case rejected(String, status: UInt)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var version = HTTPVersion.http1_1
        var method = HTTPMethod.GET
        var uri = "/"
        var headers: [(String, String)] = [("Host", "a")]
        var outcome: Outcome
        var testDescription: String { name }
    }

    static let validator = RequestHeadValidator(maxHeaderBytes: 1024, maxURLBytes: 256, maxBodyBytes: 100)

    static func post(_ name: String, _ fields: [(String, String)], _ outcome: Outcome, version: HTTPVersion = .http1_1) -> Case {
        Case(name: name, version: version, method: .POST, headers: [("Host", "a")] + fields, outcome: outcome)
    }

    static let cases: [Case] = [
        Case(name: "plain GET", outcome: .accepted(.none)),
        Case(name: "HTTP/1.0 without Host", version: .http1_0, headers: [], outcome: .accepted(.none)),
        Case(name: "OPTIONS *", method: .OPTIONS, uri: "*", outcome: .accepted(.none)),
        Case(name: "absolute form", uri: "http://a:8080/x?y", outcome: .accepted(.none)),
        Case(name: "tab inside a value", headers: [("Host", "a"), ("X-A", "a\tb")], outcome: .accepted(.none)),
        post("Content-Length", [("Content-Length", "5")], .accepted(.contentLength(5))),
        post("Content-Length 0", [("Content-Length", "0")], .accepted(.none)),
        post("equal Content-Length list", [("Content-Length", "5, 5")], .accepted(.contentLength(5))),
        post("equal Content-Length lines", [("Content-Length", "5"), ("Content-Length", "5")], .accepted(.contentLength(5))),
        post("chunked", [("Transfer-Encoding", "chunked")], .accepted(.chunked)),
        post("Chunked in capitals", [("Transfer-Encoding", "Chunked")], .accepted(.chunked)),
        post("100-continue", [("Content-Length", "5"), ("Expect", "100-continue")], .accepted(.contentLength(5), expectsContinue: true)),
        Case(name: "100-continue without a body", headers: [("Host", "a"), ("Expect", "100-Continue")], outcome: .accepted(.none)),
        post("100-continue in HTTP/1.0", [("Content-Length", "5"), ("Expect", "100-continue")], .accepted(.contentLength(5)), version: .http1_0),
        Case(
            name: "upgrade", headers: [("Host", "a"), ("Connection", "keep-alive, Upgrade"), ("Upgrade", "websocket")],
            outcome: .accepted(.none, isUpgrade: true)),
        Case(name: "Upgrade not named by Connection", headers: [("Host", "a"), ("Upgrade", "websocket")], outcome: .accepted(.none)),
        post("body at the limit", [("Content-Length", "100")], .accepted(.contentLength(100))),

        post("body over the limit", [("Content-Length", "101")], .rejected("body_too_large", status: 413)),
        post("differing Content-Length list", [("Content-Length", "5, 6")], .rejected("conflicting_content_length", status: 400)),
        post("differing Content-Length lines", [("Content-Length", "5"), ("Content-Length", "6")], .rejected("conflicting_content_length", status: 400)),
        post("Content-Length with sign", [("Content-Length", "+5")], .rejected("invalid_content_length", status: 400)),
        post("Content-Length with inner space", [("Content-Length", "1 0")], .rejected("invalid_content_length", status: 400)),
        post("empty Content-Length element", [("Content-Length", "5,")], .rejected("invalid_content_length", status: 400)),
        post("Content-Length overflowing", [("Content-Length", "99999999999999999999")], .rejected("invalid_content_length", status: 400)),
        post("CL and TE", [("Content-Length", "5"), ("Transfer-Encoding", "chunked")], .rejected("content_length_with_transfer_encoding", status: 400)),
        post("TE in HTTP/1.0", [("Transfer-Encoding", "chunked")], .rejected("transfer_encoding_in_http10", status: 400), version: .http1_0),
        post("TE identity", [("Transfer-Encoding", "identity")], .rejected("transfer_encoding_not_chunked", status: 400)),
        post("TE xchunked", [("Transfer-Encoding", "xchunked")], .rejected("transfer_encoding_not_chunked", status: 400)),
        post("TE chunked, identity", [("Transfer-Encoding", "chunked, identity")], .rejected("transfer_encoding_not_chunked", status: 400)),
        post("TE chunked twice", [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")], .rejected("transfer_encoding_not_chunked", status: 400)),
        post("TE empty element", [("Transfer-Encoding", ", chunked")], .rejected("transfer_encoding_not_chunked", status: 400)),
        post("TE gzip, chunked", [("Transfer-Encoding", "gzip, chunked")], .rejected("unsupported_transfer_coding", status: 501)),
        Case(name: "missing Host", headers: [], outcome: .rejected("missing_host", status: 400)),
        Case(name: "two Hosts", headers: [("Host", "a"), ("Host", "a")], outcome: .rejected("duplicate_host", status: 400)),
        Case(name: "two Hosts in HTTP/1.0", version: .http1_0, headers: [("Host", "a"), ("Host", "b")], outcome: .rejected("duplicate_host", status: 400)),
        Case(name: "HTTP/1.2", version: HTTPVersion(major: 1, minor: 2), outcome: .rejected("unsupported_version", status: 505)),
        Case(name: "HTTP/2.0", version: HTTPVersion(major: 2, minor: 0), outcome: .rejected("unsupported_version", status: 505)),
        Case(name: "CONNECT", method: .CONNECT, uri: "a:443", outcome: .rejected("connect_method", status: 405)),
        Case(name: "long target", uri: "/" + String(repeating: "a", count: 256), outcome: .rejected("uri_too_long", status: 414)),
        Case(
            name: "large header section", headers: [("Host", "a"), ("X-Big", String(repeating: "b", count: 1024))],
            outcome: .rejected("header_too_large", status: 431)),
        Case(name: "asterisk for GET", uri: "*", outcome: .rejected("invalid_target", status: 400)),
        Case(name: "empty target", uri: "", outcome: .rejected("invalid_target", status: 400)),
        Case(name: "relative target", uri: "a/b", outcome: .rejected("invalid_target", status: 400)),
        Case(name: "space in target", uri: "/a b", outcome: .rejected("invalid_target", status: 400)),
        Case(name: "userinfo in absolute form", uri: "http://u@a/", outcome: .rejected("invalid_target", status: 400)),
        Case(name: "other scheme", uri: "ftp://a/", outcome: .rejected("invalid_target", status: 400)),
        Case(name: "space in a field name", headers: [("Host", "a"), ("X A", "b")], outcome: .rejected("invalid_header_name", status: 400)),
        Case(name: "empty field name", headers: [("Host", "a"), ("", "b")], outcome: .rejected("invalid_header_name", status: 400)),
        Case(name: "NUL in a value", headers: [("Host", "a"), ("X-A", "a\0b")], outcome: .rejected("invalid_header_value", status: 400)),
        Case(name: "bare CR in a value", headers: [("Host", "a"), ("X-A", "a\rb")], outcome: .rejected("invalid_header_value", status: 400)),
        Case(name: "obs-fold in a value", headers: [("Host", "a"), ("X-A", "a\r\n b")], outcome: .rejected("invalid_header_value", status: 400)),
        Case(name: "DEL in a value", headers: [("Host", "a"), ("X-A", "a\u{7F}")], outcome: .rejected("invalid_header_value", status: 400)),
        Case(name: "unknown expectation", headers: [("Host", "a"), ("Expect", "magic")], outcome: .rejected("unsupported_expectation", status: 417)),
    ]

    @Test(arguments: cases)
    func validate(_ testCase: Case) {
        let head = HTTPRequestHead(
            version: testCase.version, method: testCase.method, uri: testCase.uri, headers: HTTPHeaders(testCase.headers))
        let outcome: Outcome =
            switch Self.validator.validate(head) {
            case .success(let verdict):
                .accepted(verdict.framing, expectsContinue: verdict.expectsContinue, isUpgrade: verdict.isUpgrade)
            case .failure(let rejection):
                .rejected(rejection.reason, status: rejection.status.code)
            }
        #expect(outcome == testCase.outcome)
    }

    /// Every reason the validator gives has its own metric label.
    @Test(arguments: cases)
    func rejectionReasonIsAKnownMetricLabel(_ testCase: Case) {
        guard case .rejected(let reason, _) = testCase.outcome else { return }
        #expect(ProxyMetrics.rejectionReasons.contains(reason))
    }
}
