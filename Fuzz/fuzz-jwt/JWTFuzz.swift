import Dispatch
import Foundation
import FuzzDriver
@testable import TokenVerification

/// Input: a bearer token, checked by the verifying reader's `TokenCheck` against an HS256 key and
/// read by the unverified reader (both on jwt-kit's parser); and the same bytes as a JWKS document,
/// pre-checked as the configuration does and imported as the refresher does (jwt-kit's JWK).
/// Invariants: nothing traps; a user id found is non-empty; a token is accepted only with an
/// accepted algorithm; a JWKS read gives keys or a sentence.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let token = String(decoding: bytes, as: UTF8.self)
    let user = JWTFuzz.unverified.userID(bearerToken: Substring(token))
    precondition(user.map { !$0.isEmpty } ?? true, "a user id is never empty")
    if case .success(let accepted) = JWTFuzz.check.check(Array(bytes), keys: JWTFuzz.keys, now: 1_700_000_000) {
        precondition(!accepted.userID.isEmpty, "an accepted token names a user")
    }
    _ = TokenReaders.precheck(Data(bytes), algorithms: ["RS256", "ES256", "HS256"])
    let document = Data(bytes)
    let done = DispatchSemaphore(value: 0)
    // The fuzzer's thread is not one of the concurrency pool's, so it may wait for the import.
    Task {
        do throws(KeySetError) {
            let keys = try await KeySet.parse(jwks: document, algorithms: ["RS256", "ES256", "HS256", "EdDSA"])
            precondition(keys.count > 0, "a JWKS read gives keys or throws")
        } catch {
            precondition(!error.message.isEmpty, "a JWKS error says why")
        }
        done.signal()
    }
    done.wait()
    return 0
}

@main
enum JWTFuzz {
    nonisolated(unsafe) static var keys = KeySet(keysByID: [:], anonymous: [:], count: 0)
    static let unverified = UnverifiedTokenReader(claims: ["sub", "oid"])
    static let check = TokenCheck(claims: ["sub", "oid"], algorithms: ["HS256", "RS256"], issuers: [], audiences: [], leeway: 60)

    static func main() async throws {
        // Set once before the fuzzer starts, read only afterwards.
        keys = try await KeySet.hs256(secret: "fuzz-secret-of-at-least-32-bytes!!")
        runFuzzer(fuzzOneInput)
    }
}
