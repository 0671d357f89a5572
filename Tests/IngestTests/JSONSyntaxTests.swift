import Foundation
import Testing
@testable import Ingest
@testable import PostgreSQL

@Suite struct JSONSyntaxTests {
    @Test(arguments: [
        ("{}", true, false),
        (#" { "a" : [1, -2.5e+3, 0, true, false, null, {"b": "\u00e9\n\"\\\/"}] } "#, true, false),
        (#"{"emoji": "\ud83d\ude80 🚀"}"#, true, false),
        (#"{"nul": "a\u0000b"}"#, true, true),
        (#"{"lone": "\ud800x"}"#, true, true),
        (#"{"low": "\udc00"}"#, true, true),
        ("[1, 2]", false, false),
        ("\"text\"", false, false),
        ("{", false, false),
        (#"{"a": 01}"#, false, false),
        (#"{"a": 1,}"#, false, false),
        ("{\"a\": \"tab\tinside\"}", false, false),
        (#"{"a": tru}"#, false, false),
        (#"{"a": 1} x"#, false, false),
        (#"{a: 1}"#, false, false),
        (#"{"a": "\x"}"#, false, false),
    ])
    func checks(text: String, isObject: Bool, refused: Bool) {
        let report = JSONSyntax.check(text)
        #expect(report.isObject == isObject)
        if isObject { #expect(report.hasEscapesJSONBRefuses == refused) }
    }

    @Test func agreesWithFoundationOnValidObjects() throws {
        let text = "{" + (0..<200).map { #""k\#($0)": [\#($0), "v\#($0)", {"n": null}]"# }.joined(separator: ",") + "}"
        #expect(JSONSyntax.check(text).isObject)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: #"{"a":"#, count: 300) + "1" + String(repeating: "}", count: 300)
        #expect(!JSONSyntax.check(deep).isObject)
    }
}
