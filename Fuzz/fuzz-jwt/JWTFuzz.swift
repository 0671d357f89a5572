import Foundation
import FuzzDriver
@testable import ActivityRules

/// Thin on purpose: a later issue replaces the hand-written JWT code with jwt-kit.
///
/// Input: a bearer token, read by the identity resolver with and without an HS256 key; and the
/// same bytes as a JWKS document.
/// Invariants: nothing traps; a user id found is non-empty; a JWKS read gives keys or a sentence.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let token = String(decoding: bytes, as: UTF8.self)
    let key = IdentityResolver.HMACKey(kid: nil, key: Array("secret".utf8))
    for keys in [[], [key]] {
        let resolver = IdentityResolver(sources: [.jwtClaim("sub", keys: keys), .jwtClaim("oid", keys: keys)])
        let user = resolver.userID(requestHeaders: [("Authorization", "Bearer " + token)], responseHeaders: [], peerTrusted: true)
        precondition(user.map { !$0.isEmpty } ?? true, "a user id is never empty")
    }
    if let jwt = JWT(token) {
        _ = jwt.claim("sub")
        _ = jwt.verifiesHS256(keys: [(nil, Array("secret".utf8))])
    }
    do {
        let keys = try JWT.octKeys(jwks: Data(bytes))
        precondition(!keys.isEmpty, "a JWKS read gives keys or throws")
    } catch {
        precondition(!error.message.isEmpty, "a JWKS error says why")
    }
    return 0
}

@main
enum JWTFuzz { static func main() { runFuzzer(fuzzOneInput) } }
