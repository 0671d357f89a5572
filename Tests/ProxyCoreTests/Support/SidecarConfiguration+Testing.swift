import ConfigValues
import Foundation

@testable import ProxyCore

extension SidecarConfiguration {
    /// Both listeners on free ports in front of `upstreamPort`, tracking with `rulesFile`, ingest
    /// pointed at `databaseURL` (a refusing port: records go to `spool`).
    static func testing(upstreamPort: Int, rulesFile: String, databaseURL: String, spool: String) -> SidecarConfiguration {
        var configuration = SidecarConfiguration()
        configuration.listen = HostPort(host: "127.0.0.1", port: 0)
        configuration.admin.listen = HostPort(host: "127.0.0.1", port: 0)
        configuration.upstream.url = UpstreamURL(host: "127.0.0.1", port: upstreamPort)
        configuration.tracking.rulesFile = rulesFile
        configuration.ingest.database.url = Secret(databaseURL)
        configuration.ingest.spool.dir = spool
        return configuration
    }
}
