import Foundation

extension Explanation {
    /// Whether an activity would be recorded.
    public var recorded: Bool { activity != nil }

    /// A text report for people.
    public var text: String {
        var lines = ["request:    \(method) \(target)", "normalised: \(path)"]
        if let match {
            let captures = match.captures.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
            lines.append("matched:    \(match.ruleID) (line \(match.rule.location.line)), \(match.rule.pattern)\(captures.isEmpty ? "" : " with \(captures)")")
            lines.append("precedence: \(Self.rankText(match.rule))\(match.rule.isCatchAll ? " (catch-all)" : "")")
        } else {
            lines.append("matched:    no rule")
        }
        if let exception { lines.append("excepted:   \(exception.id): \(exception.reason)") }
        if let activity {
            lines.append("recorded:   yes, \(activity.activityType): \"\(activity.description)\" (status \(status))")
            if !activity.metadata.isEmpty {
                lines.append("metadata:   " + activity.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
            }
        } else if let match, exception == nil {
            lines.append("recorded:   no, status \(status) is not in \(match.rule.recordStatus) for \(match.ruleID)")
        } else {
            lines.append("recorded:   no")
        }
        let chain = address.chain.isEmpty ? "" : ", chain \(address.chain.joined(separator: ", "))"
        lines.append("client ip:  \(address.ip) (\(address.verified ? "verified" : "not verified"); peer \(address.peer)\(chain))")
        lines.append("user:       \(userID ?? "none")")
        if !nearest.isEmpty {
            lines.append("nearest other rules:")
            for miss in nearest { lines.append("  \(miss.ruleID): \(miss.reason)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON object (sorted keys, pretty-printed) for scripts.
    public var json: String {
        func nullable(_ value: String?) -> Any { value.map { $0 as Any } ?? NSNull() }
        let object: [String: Any] = [
            "recorded": recorded,
            "rule_id": nullable(match?.ruleID),
            "activity_type": nullable(match?.activityType),
            "description": nullable(activity?.description),
            "metadata": activity?.metadata ?? [:],
            "client_ip": activity?.clientIP ?? address.ip,
            "ip_verified": address.verified,
            "user_id": nullable(userID),
            "path": path,
            "exception_id": nullable(exception?.id),
            "nearest": nearest.map { ["rule_id": $0.ruleID, "reason": $0.reason] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// `rules explain` as a library call: loads nothing itself, so tests pass a policy directly.
public enum RuleExplainer {
    /// The output format.
    public enum Format: String, Sendable, CaseIterable {
        /// Lines for people.
        case text
        /// A JSON object for scripts.
        case json
    }

    /// Explains a request and renders it.
    public static func explain(policy: TrackingPolicy, method: String, target: String, peer: String, headers: [(name: String, value: String)], status: Int, format: Format) -> ToolOutput {
        let explanation = Explanation(policy: policy, method: method, target: target, peer: peer, headers: headers, status: status)
        return ToolOutput(text: format == .json ? explanation.json : explanation.text, exitCode: 0)
    }
}

extension RuleExplainer {
    /// The whole `rules explain` command after argument parsing: flags override the configuration
    /// (`--rules` replaces `rules_file`, `--trusted-proxy` replaces `trusted_proxies`), then the
    /// rules are loaded and the request explained. Exit 2 for bad input, 1 for a broken rules file.
    public static func run(
        configuration: TrackingConfiguration, rulesFile: String?, trustedProxies: [String],
        method: String, target: String, peer: String, headers: [String], status: Int, format: Format
    ) -> ToolOutput {
        var configuration = configuration
        if let rulesFile { configuration.rulesFile = rulesFile }
        if !trustedProxies.isEmpty {
            var networks: [IPNetwork] = []
            for text in trustedProxies {
                guard let network = IPNetwork(text) else {
                    return ToolOutput(text: "error: --trusted-proxy \(text) is not a network such as 10.0.0.0/8 or ::1\n", exitCode: 2)
                }
                networks.append(network)
            }
            configuration.trustedProxies = networks
        }
        var parsedHeaders: [(name: String, value: String)] = []
        for line in headers {
            guard let header = HeaderLine(line) else {
                return ToolOutput(text: "error: --header '\(line)' is not `Name: value`\n", exitCode: 2)
            }
            parsedHeaders.append((header.name, header.value))
        }
        guard IPAddress(stripping: peer) != nil else {
            return ToolOutput(text: "error: --peer \(peer) is not an IP address\n", exitCode: 2)
        }
        let policy: TrackingPolicy
        do {
            policy = try TrackingPolicy(configuration: configuration, tokenReaders: IgnoredBearerToken.factory)
        } catch {
            return ToolOutput(text: error.rendered + "\n", exitCode: 1)
        }
        return explain(policy: policy, method: method.uppercased(), target: target, peer: peer, headers: parsedHeaders, status: status, format: format)
    }
}
