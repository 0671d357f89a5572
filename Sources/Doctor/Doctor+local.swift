import ConfigValues
import DeploymentConfiguration
import Ingest
import NIOCore
import NIOPosix
import PostgreSQL
import ProxyCore

extension Doctor {
    /// The upstream accepts a TCP connection within `upstream.connect_timeout` (at most 5s), as
    /// the sidecar's `/readyz` probes it.
    func checkUpstream(_ configuration: ProxyConfiguration) async -> DoctorCheck {
        let url = configuration.upstream.url
        let address: SocketAddress
        do {
            // Name resolution blocks: on NIO's blocking-I/O pool, not on the cooperative pool.
            address = try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(url.host, port: url.port)
            }
        } catch {
            return DoctorCheck("upstream", .error, "\(url): the host cannot be resolved (\(error))",
                               fix: "set upstream.url to the application's address (e.g. http://127.0.0.1:8000)")
        }
        let milliseconds = min(5_000, max(100, configuration.upstream.connectTimeout.nanoseconds / 1_000_000))
        let probe = UpstreamProbe(address: address, group: MultiThreadedEventLoopGroup.singleton, timeout: .milliseconds(milliseconds))
        guard await probe.isReachable() else {
            return DoctorCheck("upstream", .error, "\(url) does not accept connections (refused or no answer within \(milliseconds) ms)",
                               fix: "start the application, or set upstream.url to where it listens")
        }
        return DoctorCheck("upstream", .ok, "\(url) accepts connections")
    }

    /// `spool.dir` is a directory a file can be written to (or can be created), and how full it is.
    static func checkSpool(_ spool: SpoolConfiguration) async -> DoctorCheck {
        let usage: SpoolUsage
        do {
            usage = try await NIOThreadPool.singleton.runIfActive { try SpoolUsage.measure(spool) }
        } catch {
            return DoctorCheck("spool", .error, "\(spool.dir): \((error as? StorageError)?.message ?? "\(error)")",
                               fix: "make ingest.spool.dir a directory the sidecar's user can write (or set it to one)")
        }
        guard usage.exists else {
            return DoctorCheck("spool", .ok, "\(spool.dir) does not exist yet; the sidecar creates it at start (its parent is writable)")
        }
        let size = "\(usage.segments) segment\(usage.segments == 1 ? "" : "s"), \(ByteSize(bytes: Int(clamping: usage.bytes))) of \(spool.maxBytes)"
        if usage.damagedFiles > 0 {
            return DoctorCheck("spool", .warning, "\(spool.dir): \(size); \(usage.damagedFiles) damaged segment file\(usage.damagedFiles == 1 ? "" : "s") kept aside",
                               fix: "look at the *.damaged-* files in \(spool.dir) (records in them were not stored), then delete them")
        }
        if usage.bytes > Int64(spool.maxBytes.bytes) / 5 * 4 {
            return DoctorCheck("spool", .warning, "\(spool.dir) is writable but more than 80% full: \(size)",
                               fix: "check that PostgreSQL is reachable from the sidecars so the spool drains, or raise ingest.spool.max_bytes")
        }
        return DoctorCheck("spool", .ok, "\(spool.dir) is writable: \(size)")
    }
}
