import ArgumentParser

import FoundationEssentials
import Engines
import Reports

/// Where a report goes and when the run counts as failed: the flags cron
/// jobs, CI gates and DaemonSets need.
struct ReportOutputOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Write the report to this file instead of stdout, atomically (temp file + rename).", valueName: "file"),
        completion: .file()
    )
    var output: String?

    @OptionGroup var quietOption: QuietOption
    var quiet: Bool { quietOption.quiet }

    @Option(
        name: .customLong("max-violations"),
        help: ArgumentHelp("Exit 1 only when more than N flows violate (pod violations, and flows from outside the pod networks that would). Forgives flows only: a pod whose whole port range is blocked still exits 1.", valueName: "n")
    )
    var maxViolations: Int = 0

    func validate() throws {
        if maxViolations < 0 { throw ValidationError("--max-violations must be 0 or more") }
        try OutputPath.validateDirectory(of: output, option: "--output")
    }

    /// Sends a rendered report to --output or stdout (unless --quiet).
    func emit(_ text: String) throws {
        if let output {
            try AtomicFileWriter.write(text, to: output)
        } else if !quiet {
            Console.out(text)
        }
    }

    /// Like `emit`, for a writer that produces its text in chunks: stdout
    /// gets each chunk as it comes, so a large report is never held whole.
    func emit(chunks produce: ((String) -> Void) -> Void) throws {
        if output != nil {
            var text = ""
            produce { text += $0 }
            try emit(text)
        } else if !quiet {
            produce { Console.out($0) }
        }
    }

    /// Exit 1 for violating flows above the threshold, or for a pod whose
    /// own port range fails every connection through a rule that keeps it
    /// (whatever the threshold: `AuditReport.fails`).
    func check(_ report: AuditReport) throws {
        if report.fails(toleratingViolations: maxViolations) { throw ExitStatus.violations.exitCode }
        // Never clean: a rule ctaudit cannot judge decides some flows (exit 4).
        if report.summary.uncertain > 0 { throw ExitStatus.uncertain.exitCode }
    }

    /// The same for a merged fleet report.
    func check(_ merged: MergedReport) throws {
        if merged.fails(toleratingViolations: maxViolations) { throw ExitStatus.violations.exitCode }
        // Never clean: a node's audit met a firewall rule ctaudit cannot judge.
        if merged.nodes.contains(where: { $0.verdict == .uncertain }) { throw ExitStatus.uncertain.exitCode }
    }
}
