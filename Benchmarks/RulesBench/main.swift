// Prints nanoseconds per `RuleSet.match` with 10, 100 and 1000 rules (a hit deep in the trie, a
// miss, and a catch-all mutation) and per client IP resolution of a 10-hop X-Forwarded-For chain.
// Run in release: `scripts/release-build.sh rules-bench && .build-release/release/rules-bench`.
import ActivityRules

/// Iterations per measurement; the first argument overrides (e.g. a small count under valgrind).
let defaultIterations = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000

func measure(_ label: String, iterations: Int = defaultIterations, _ body: () -> Int) {
    var sink = 0
    for _ in 0..<1_000 { sink &+= body() }
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { sink &+= body() }
    let elapsed = clock.now - start
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    print("\(label.padding(toLength: 52, withPad: " ", startingAt: 0)) \(String(format: "%8.0f", nanoseconds / Double(iterations))) ns   (sink \(sink % 7))")
}

func ruleSet(count: Int) throws -> RuleSet {
    var yaml = "version: 1\nrules:\n"
    let methods = ["GET", "POST", "PATCH", "DELETE"]
    for index in 0..<count {
        let resource = "resource\(index / 4)"
        let method = methods[index % 4]
        let path: String
        switch index % 4 {
        case 0: path = "/api/v1/\(resource)/"
        case 1: path = "/api/v1/\(resource)/{id}/action\(index)/"
        case 2: path = "/api/v1/\(resource)/{id:int}/"
        default: path = "/api/v1/\(resource)/{id}/"
        }
        yaml += "  - {id: rule-\(index), description: d., activity: a\(index), match: {methods: [\(method)], path: '\(path)'}}\n"
    }
    yaml += "catch_all: {id: other, description: d., activity: other}\n"
    return try RuleSet(yaml: yaml, file: "bench.yaml")
}

for count in [10, 100, 1000] {
    let rules = try ruleSet(count: count)
    let last = (count - 1) / 4
    let hit = "/api/v1/resource\(last)/42/action\(last * 4 + 1)/"
    measure("match \(count) rules: template hit POST") {
        rules.match(method: "POST", target: hit) == nil ? 0 : 1
    }
    measure("match \(count) rules: miss GET") {
        rules.match(method: "GET", target: "/api/v1/unknown/42/details/?page=2") == nil ? 0 : 1
    }
    measure("match \(count) rules: catch-all PUT") {
        rules.match(method: "PUT", target: "/api/v1/resource0/42/") == nil ? 0 : 1
    }
}

let resolver = ClientIPResolver(trusted: TrustedProxies([IPNetwork("10.0.0.0/8")!, IPNetwork("192.168.0.0/16")!]))
let chain = ["203.0.113.9"] + (1...9).map { "10.0.0.\($0)" }
let headers: [(name: String, value: String)] = [
    ("Host", "example.com"), ("User-Agent", "bench"), ("X-Forwarded-For", chain.joined(separator: ", ")),
]
measure("client IP: 10-hop X-Forwarded-For") {
    resolver.resolve(peer: "10.0.0.254", headers: headers).ip.utf8.count
}
measure("client IP: isTrusted(peer:)") {
    resolver.isTrusted(peer: "10.0.0.254") ? 1 : 0
}

// What the proxy does per tracked request of bench/tracking.sh, with the shipped rules file and
// default tracking configuration: the match, then the activity once the response is in.
if let policy = try? TrackingPolicy(configuration: TrackingConfiguration(), tokenReaders: IgnoredBearerToken.factory) {
    let requestHeaders: [(name: String, value: String)] = [
        ("Host", "127.0.0.1:18113"), ("Content-Length", "16"), ("Content-Type", "application/json"), ("X-Forwarded-User", "bench-user"),
    ]
    let target = "/api/v1/reports/7/generate/"
    measure("reports-app.yaml: match POST …/7/generate/") {
        policy.rules.match(method: "POST", target: target) == nil ? 0 : 1
    }
    let match = policy.rules.match(method: "POST", target: target)!
    measure("reports-app.yaml: activity for the match (status 200)") {
        policy.activity(for: match, peer: "127.0.0.1", requestHeaders: requestHeaders, status: 200)?.description.utf8.count ?? 0
    }
} else {
    print("(rules/reports-app.yaml not found: run from the repository root for the tracked-request figures)")
}
