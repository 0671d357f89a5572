import ArgumentParser
import DeploymentConfiguration

/// `trackingproxy config …`: configuration tools.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Configuration tools.",
        subcommands: [ConfigCheckCommand.self]
    )
}

/// `trackingproxy config check FILE`: validates a configuration and prints the effective one.
struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file (with environment and flags applied) and print the effective configuration, secrets redacted."
    )

    @Argument(help: "The YAML configuration file.")
    var file: String

    @OptionGroup var options: ConfigurationOptions

    func run() throws {
        var options = self.options
        options.config = file
        // Checks the tokens file too, although only the analytics service reads it.
        let configuration = try options.load(readsNamedFiles: true)
        for warning in configuration.sidecar.tracking.warnings() {
            print("# warning: tracking.\(warning.keyPath): \(warning.message)")
        }
        print("# effective configuration of \(file) (flag > environment > file > default)")
        print(ConfigurationLoader<ProxyConfiguration>.render(configuration), terminator: "")
    }
}
