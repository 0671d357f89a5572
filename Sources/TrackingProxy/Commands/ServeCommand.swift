import ArgumentParser
import DeploymentConfiguration
import Logging
import NIOCore
import NIOPosix
import ProxyCore

/// `trackingproxy serve`: runs the sidecar (proxy, tracking, ingest, admin listener) until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy in front of the upstream application, with the admin listener beside it."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.load()
        let process = ProcessObservability(configuration: configuration, label: "trackingproxy")
        let logger = process.logger
        logger.info("effective configuration:\n\(ConfigurationLoader<ProxyConfiguration>.render(configuration))")
        if let days = configuration.retention.days {
            logger.warning("retention.days is \(days), but sidecars never prune: run `trackingproxy analytics serve` (one per deployment), which does")
        }

        let threads = configuration.threads == 0 ? System.coreCount : configuration.threads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let outcome: Result<Void, any Error>
        do {
            // The sidecar lives only in this scope: everything that used the event loops is
            // released before they shut down, so nothing schedules work on them meanwhile.
            let sidecar = try Sidecar(
                configuration: configuration.sidecar, version: TrackingProxyVersion.current, group: group, registry: process.registry, logger: logger)
            try await sidecar.makeServiceGroup().run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        switch outcome {
        case .success:
            logger.info("stopped")
        case .failure(SidecarError.rules(let error)):
            print(error.rendered)
            throw ExitCode.failure
        case .failure(let error as SidecarError):
            // As before the split: printed on stderr with the usage hint, exit status 64.
            throw ValidationError("\(error)")
        case .failure(let error):
            logger.error("stopped with an error", metadata: ["error.message": "\(error)"])
            throw ExitCode.failure
        }
    }
}
