import Ingest
import TokenVerification

/// The `/status` document of the admin listener: what the sidecar is doing, in words and figures.
///
/// `/readyz` stays ready while ingest spools (the proxy works); this is where an operator sees
/// that PostgreSQL is away and how much is waiting.
struct AdminStatus: Encodable, Sendable {
    struct Proxy: Encodable, Sendable {
        var openConnections: Int
        var upstream: String

        enum CodingKeys: String, CodingKey {
            case openConnections = "open_connections"
            case upstream
        }
    }

    struct Rules: Encodable, Sendable {
        var file: String
        var hash: String
        var count: Int
    }

    var uptimeSeconds: Int
    var proxy: Proxy
    var rules: Rules
    /// The key sets of the verified `jwt_claim` identity sources; a source whose set never loaded
    /// names no user (`/readyz` fails its `identity_keys` check meanwhile).
    var identityKeys: [KeySetStatus] = []
    var ingest: IngestStatus

    enum CodingKeys: String, CodingKey {
        case uptimeSeconds = "uptime_seconds"
        case proxy, rules
        case identityKeys = "identity_keys"
        case ingest
    }
}
