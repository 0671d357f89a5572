import Analytics
import ArgumentParser
import Foundation
import JSONWriting

/// `trackingproxy jobs run NAME [--dry-run]`: one job now, as the scheduler runs it.
struct JobsRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one job now, under its advisory lock, recorded in job_runs (or, with --dry-run, say what it would do).",
        discussion: """
            Jobs: \(Job.allCases.map(\.rawValue).joined(separator: ", ")). \
            Exit status 0 when the job ran (or another instance was running it: "skipped"), 1 when it failed.
            """
    )

    @Argument(help: "The job: \(Job.allCases.map(\.rawValue).joined(separator: ", ")).")
    var job: Job

    @Flag(name: .customLong("dry-run"), help: "Say what the job would do; change nothing and record nothing.")
    var dryRun = false

    @OptionGroup var options: JobsOptions

    func run() async throws {
        let configuration = try options.load()
        let runner = options.runner(configuration)
        if let reason = runner.unavailableReason(job) {
            throw ValidationError("\(job.rawValue) cannot run: \(reason).")
        }
        if dryRun {
            let report = try await runner.dryRun(job, now: Date())
            write(outcome: "dry-run", summary: report.summary, figures: report.figuresJSON, error: nil)
            return
        }
        switch await runner.run(job, scheduledFor: nil, now: { Date() }) {
        case .skipped(let reason):
            write(outcome: "skipped", summary: reason, figures: "{}", error: nil)
        case .ran(let run, let report):
            write(outcome: run.outcome.rawValue, summary: report?.summary ?? "", figures: run.figuresJSON, error: run.error)
            if run.outcome == .failed { throw ExitCode.failure }
        }
    }

    private func write(outcome: String, summary: String, figures: String, error: String?) {
        switch options.format {
        case .json:
            var object = JSONText.Object()
            object.add("job", string: job.rawValue)
            object.add("outcome", string: outcome)
            object.add("summary", string: summary)
            object.add("figures", raw: figures)
            object.add("error", string: error)
            StandardOutput.write(object.text + "\n")
        case .text:
            StandardOutput.write("\(job.rawValue): \(outcome): \(error ?? summary)\n")
        }
    }
}
