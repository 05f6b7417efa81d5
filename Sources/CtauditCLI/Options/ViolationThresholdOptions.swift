import ArgumentParser
import Engines

/// `--max-violations N`: when a run with violations still counts as passed
/// (audit, merge).
struct ViolationThresholdOptions: ParsableArguments {
    // Unconditional: `--max-violations -1` is a bad number (exit 2 with the
    // reason), not "missing value" because -1 looks like an option.
    @Option(
        name: .customLong("max-violations"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "Exit 1 only when more than N flows violate (pod violations, and flows from outside the pod networks that would). Forgives flows only: a pod whose whole port range is blocked still exits 1.",
            valueName: "n")
    )
    var maxViolations: Int = 0

    func validate() throws {
        if maxViolations < 0 { throw ValidationError("--max-violations must be 0 or more, got \(maxViolations)") }
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
