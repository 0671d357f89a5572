import ActivityRules
import ArgumentParser

/// `rules explain METHOD URL`: which rule matches, why the nearest others do not, and what is recorded.
struct RulesExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which rule a request matches, why the nearest others do not, and the activity recorded.",
        discussion: "JSON keys (a contract): recorded, rule_id, activity_type, description, metadata, client_ip, ip_verified, user_id."
    )

    @Option(name: .customLong("config"), help: "A YAML configuration file; only its `tracking:` section is read.")
    var configFile: String?

    @Option(name: .customLong("rules"), help: "The rules file (overrides tracking.rules_file).")
    var rulesFile: String?

    @Option(name: .customLong("trusted-proxy"), help: "A trusted proxy network in CIDR form; repeatable (overrides tracking.trusted_proxies).")
    var trustedProxies: [String] = []

    @Option(help: "The direct peer address.")
    var peer: String = "192.0.2.10"

    @Option(name: .customLong("header"), help: "A request header as 'Name: value'; repeatable.")
    var headers: [String] = []

    @Option(help: "The upstream response status.")
    var status: Int = 200

    @Option(help: "Output format.")
    var format: RuleExplainer.Format = .text

    @Argument(help: "The request method, e.g. POST.")
    var method: String

    @Argument(help: "The request URL or request-target, e.g. /api/v1/reports/7/generate/.")
    var url: String

    func run() throws {
        var configuration = TrackingConfiguration()
        if let configFile {
            do {
                configuration = try TrackingConfiguration.load(configFile: configFile)
            } catch {
                print(error.rendered)
                throw ExitCode(2)
            }
        }
        let output = RuleExplainer.run(
            configuration: configuration, rulesFile: rulesFile, trustedProxies: trustedProxies,
            method: method, target: url, peer: peer, headers: headers, status: status, format: format
        )
        print(output.text, terminator: "")
        if output.exitCode != 0 { throw ExitCode(output.exitCode) }
    }
}

extension RuleExplainer.Format: ExpressibleByArgument {}
