// Prints microseconds per bearer token read by a verified `jwt_claim` source, RS256 (RSA 2048) and
// ES256 (P-256): the first verification of a token (cache miss: SHA-256, parse, signature, claims,
// store) and a cached lookup of a token seen before (SHA-256 and a dictionary hit).
// Run in release: `TRACKINGPROXY_BENCHMARKS=1 swift build -c release --product identity-bench`
// then `.build/release/identity-bench [TOKENS]`.
import ActivityRules
import Foundation
import Logging
import NIOPosix
import TokenTestSupport
import TokenVerification

/// Distinct tokens per algorithm (each verified once); the first argument overrides.
let tokenCount = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 2_000
let cachedLookups = 200_000

/// Runs the refresher until every reader has its keys.
func loadKeys(_ readers: [VerifiedTokenReader]) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await KeySetRefresher(readers: readers, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "bench")).run()
        }
        while !readers.allSatisfy(\.keySetStatus.hasKeys) { try await Task.sleep(for: .milliseconds(10)) }
        group.cancelAll()
    }
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

func report(_ label: String, _ duration: Duration, _ count: Int) {
    print("\(label.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", microseconds(duration) / Double(count))) µs")
}

let signer = try TestSigner()
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
try signer.jwks.write(to: directory.appendingPathComponent("keys.json"), atomically: true, encoding: .utf8)

let readers = TokenReaders()
let source = IdentitySourceConfiguration(
    jwtClaim: ["oid", "sub"], jwksFile: "keys.json", issuer: [TestSigner.issuer], audience: [TestSigner.audience], cacheSize: 2 * tokenCount + 10)
let reader = try readers.reader(for: source, keyPath: "bench", directory: directory.path)
try await loadKeys(readers.verified)
try? FileManager.default.removeItem(at: directory)

for name in ["RS256", "ES256"] {
    var tokens: [Substring] = []
    for index in 0..<tokenCount {
        let claims = TestSigner.claims(oid: "\(name)-user-\(index)")
        if name == "RS256" {
            tokens.append(Substring(try await signer.rs256(claims)))
        } else {
            tokens.append(Substring(try await signer.es256(claims)))
        }
    }
    let clock = ContinuousClock()
    var found = 0
    let first = clock.measure {
        for token in tokens where reader.userID(bearerToken: token) != nil { found += 1 }
    }
    precondition(found == tokenCount, "every token verifies")
    report("\(name) first verification (\(tokenCount) tokens)", first, tokenCount)
    let cached = clock.measure {
        for index in 0..<cachedLookups where reader.userID(bearerToken: tokens[index % tokens.count]) != nil { found += 1 }
    }
    report("\(name) cached lookup (\(cachedLookups)x)", cached, cachedLookups)
}
print("token length: RS256 \(try await signer.rs256().utf8.count) bytes, ES256 \(try await signer.es256().utf8.count) bytes")
