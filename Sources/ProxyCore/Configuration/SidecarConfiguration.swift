import ActivityRules
import ConfigValues
import Ingest

/// What the sidecar (`trackingproxy serve`) is built from: the configuration file's sections it
/// reads, each a `ConfigurationSection` of its module. The file's root (`SidecarConfiguration`, in
/// DeploymentConfiguration) holds these beside the analytics service's sections and hands them
/// over as one value, so this library never sees the analytics service's configuration.
package struct SidecarConfiguration: Sendable, Equatable, ConfigurationSection {
    /// Where the proxy accepts client connections. Default `127.0.0.1:8080`.
    package var listen = HostPort(host: "127.0.0.1", port: 8080)
    /// The application the proxy stands in front of.
    package var upstream = UpstreamConfiguration()
    /// Limits and timeouts that protect the proxy from its clients.
    package var client = ClientConfiguration()
    /// The admin listener: health, readiness, metrics and status.
    package var admin = AdminConfiguration()
    /// How the proxy stops.
    package var shutdown = ShutdownConfiguration()
    /// How many event loop threads serve connections. `0` (default) means one per CPU core.
    package var threads = 0
    /// Which requests are activities, the client IP, identity and privacy (module ActivityRules).
    package var tracking = TrackingConfiguration()
    /// Where and how activities are stored: PostgreSQL, queue, batches, spool (module Ingest).
    package var ingest = IngestConfiguration()

    /// The defaults of every section.
    package init() {}

    /// Every section's problems under its key (as the file names them: the sections are top-level).
    package func problems() -> [ConfigurationProblem] {
        var problems = upstream.problems().under("upstream") + client.problems().under("client") + admin.problems().under("admin")
        problems += tracking.problems().under("tracking") + ingest.problems().under("ingest")
        if !(0...256).contains(threads) { problems.append(ConfigurationProblem("threads", "\(threads) is out of range; use 0 (one per core) to 256")) }
        return problems
    }
}
