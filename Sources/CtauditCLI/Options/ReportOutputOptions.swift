import ArgumentParser

import Foundation
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
        help: ArgumentHelp("Exit 1 only when there are more than N violations.", valueName: "n")
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

    /// Exit 1 above the threshold, else success.
    func check(violations: Int) throws {
        if violations > maxViolations { throw ExitStatus.violations.exitCode }
    }

    /// Exit 1 for violations above the threshold, or for a pod whose own
    /// port range fails every connection through a rule that keeps it.
    func check(_ report: AuditReport) throws {
        try check(violations: report.summary.violations)
        if report.verdict == .podsBlocked { throw ExitStatus.violations.exitCode }
        // Never clean: a rule ctaudit cannot judge decides some flows.
        if report.summary.uncertain > 0 { throw ExitStatus.uncertain.exitCode }
    }
}
