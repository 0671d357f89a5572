import Testing
@testable import ActivityRules

@Suite struct NormalisationTests {
    @Test(arguments: [
        ("/api/v1/reports/1/", "/api/v1/reports/1/", ""),
        ("/api/v1//reports/./x/../1/generate/", "/api/v1/reports/1/generate/", ""),
        ("//api///v1", "/api/v1", ""),
        ("/a/b/..", "/a/", ""),
        ("/a/b/.", "/a/b/", ""),
        ("/../../etc", "/etc", ""),
        ("/%2e%2e/a", "/a", ""),
        ("/a/%2E/b", "/a/b", ""),
        ("/a%2Fb", "/a/b", ""),
        ("/%7Euser", "/~user", ""),
        ("/a%zzb", "/a%zzb", ""),
        ("/a%2", "/a%2", ""),
        ("/a?x=1&y=2", "/a", "x=1&y=2"),
        ("/a?", "/a", ""),
        ("/a#frag", "/a", ""),
        ("", "/", ""),
        ("/", "/", ""),
        ("https://host:8443/p/q?z", "/p/q", "z"),
        ("/caf%C3%A9", "/café", ""),
        ("/café/ü?q=é#é", "/café/ü", "q=é"),
        ("/e\u{301}/x", "/e\u{301}/x", ""),
    ])
    func normalise(_ raw: String, _ path: String, _ query: String) {
        let target = RequestTarget(raw)
        #expect(target.path == path)
        #expect(target.query == query)
    }

    /// The shortcut for a plain path (kept as it is) against the general way, on every target of
    /// up to five characters over an alphabet of what normalisation looks at.
    @Test func plainPathShortcutAgreesWithTheGeneralWay() {
        let alphabet = ["/", ".", "%", "2", "e", "?", "#", "\u{E9}"]
        var targets = [""]
        var plain = 0
        for _ in 1...5 {
            targets = targets + targets.flatMap { prefix in alphabet.map { prefix + $0 } }
        }
        for target in Set(targets) {
            let split = RequestTarget(splitting: target)
            let shortcut = RequestTarget(target)
            // Bytes, not `==`: strings compare by canonical equivalence.
            #expect(Array(shortcut.path.utf8) == Array(split.path.utf8) && Array(shortcut.query.utf8) == Array(split.query.utf8), "\(target)")
            if RequestTarget.isPlainPath(target.utf8) {
                plain += 1
                #expect(split.path == target && split.query.isEmpty, "\(target)")
            }
        }
        #expect(plain > 100)
    }

    @Test func queryItemsDecode() {
        let items = RequestTarget("/a?x=1+2&y=%2F&z&&w=").queryItems
        #expect(items.map(\.name) == ["x", "y", "z", "w"])
        #expect(items.map(\.value) == ["1 2", "/", "", ""])
    }

    @Test(arguments: [
        ("/", [String](), false),
        ("/a", ["a"], false),
        ("/a/", ["a"], true),
        ("/api/v1/reports/7/generate/", ["api", "v1", "reports", "7", "generate"], true),
        ("/café/e\u{301}/😀", ["café", "e\u{301}", "😀"], false),
        // Not normalised, but split all the same (exceptions and the trie walk any path).
        ("", [String](), false),
        ("//", [String](), true),
        ("//a//b/", ["a", "b"], true),
        ("a/b", ["a", "b"], false),
    ])
    func pathSegments(_ path: String, _ expected: [String], _ trailingSlash: Bool) {
        let segments = PathSegments(path)
        #expect(segments.segments.map(String.init) == expected)
        #expect(segments.trailingSlash == trailingSlash)
    }
}
