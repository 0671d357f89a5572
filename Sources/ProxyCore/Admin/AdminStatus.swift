import Ingest

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
    var ingest: IngestStatus

    enum CodingKeys: String, CodingKey {
        case uptimeSeconds = "uptime_seconds"
        case proxy, rules, ingest
    }
}
