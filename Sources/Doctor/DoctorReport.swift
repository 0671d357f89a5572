import JSONWriting

/// Everything `trackingproxy doctor` found, in the order checked, and how to print it.
public struct DoctorReport: Sendable, Equatable {
    public var checks: [DoctorCheck]

    public init(checks: [DoctorCheck]) {
        self.checks = checks
    }

    /// The gravest status of any check; `ok` when there is none.
    public var status: DoctorCheck.Status { checks.map(\.status).max() ?? .ok }

    /// The process exit status: 0 all ok, 1 warnings, 2 errors.
    public var exitCode: Int32 {
        switch status {
        case .ok: 0
        case .warning: 1
        case .error: 2
        }
    }

    /// One line per check (`ok      schema: …`), its fix on the next line, then a summary line.
    public var text: String {
        var lines: [String] = []
        for check in checks {
            let label = check.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append("\(label)\(check.name): \(check.message)")
            if let fix = check.fix { lines.append("        fix: \(fix)") }
        }
        let count = { (status: DoctorCheck.Status) in self.checks.filter { $0.status == status }.count }
        lines.append("\(count(.ok)) ok, \(count(.warning)) warning\(count(.warning) == 1 ? "" : "s"), \(count(.error)) error\(count(.error) == 1 ? "" : "s")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One JSON object: `status` (the gravest) and `checks`, each with `name`, `status`,
    /// `message` and `fix` (`null` when there is nothing to do).
    public var json: String {
        let items = checks.map { check in
            var object = JSONText.Object()
            object.add("name", string: check.name)
            object.add("status", string: check.status.rawValue)
            object.add("message", string: check.message)
            object.add("fix", string: check.fix)
            return object.text
        }
        var object = JSONText.Object()
        object.add("status", string: status.rawValue)
        object.add("checks", raw: JSONText.array(items))
        return object.text + "\n"
    }
}
