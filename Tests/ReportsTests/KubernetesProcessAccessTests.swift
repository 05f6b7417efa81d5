import Conntrack
import Glibc
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// The live namespace scan reads every /proc/PID/ns/net. Root in the test
/// run can read them all, so the counting is tested here on errno values;
/// UnprivilegedNamespaceTests runs the scan as nobody for real.
@Suite("Kubernetes: unreadable processes")
struct KubernetesProcessAccessTests {
    @Test(
        "refused links count as denied; vanished processes count as nothing",
        arguments: [
            (Int32?.none, 1, 0), (EACCES, 1, 1), (EPERM, 1, 1), (ENOENT, 0, 0), (ESRCH, 0, 0),
        ])
    func oneOutcome(error: Int32?, processes: Int, denied: Int) {
        var denials = ProcessAccessDenials()
        denials.record(error)
        #expect(denials.processes == processes && denials.denied == denied)
        #expect((denials.warning != nil) == (denied > 0))
    }

    @Test("many refusals make one warning that says why and how many")
    func oneWarningForAllProcesses() throws {
        var denials = ProcessAccessDenials()
        for _ in 0..<3 { denials.record(nil) }
        for _ in 0..<117 { denials.record(EACCES) }
        for _ in 0..<5 { denials.record(ENOENT) }
        let warning = try #require(denials.warning)
        #expect(warning.subject == "/proc/PID/ns/net")
        #expect(warning.message.hasPrefix("permission denied for 117 of 120 processes"))
        #expect(warning.message.contains("CAP_SYS_PTRACE"))
        #expect(!warning.description.contains("\n"))
    }

    @Test func nothingRefusedNoWarning() {
        var denials = ProcessAccessDenials()
        denials.record(nil)
        denials.record(ESRCH)
        #expect(denials.warning == nil)
    }
}

@Suite("kubernetes: refused processes are named")
struct KubernetesProcessNamesTests {
    /// Issue 12: "permission denied for 1 of 67 processes" did not say which.
    @Test func theWarningNamesThePidAndCommOfTheFirstRefusedProcesses() throws {
        var denials = ProcessAccessDenials()
        denials.record(nil, pid: 1)
        for pid in Int32(100)..<107 { denials.record(EACCES, pid: pid, comm: "shim-\(pid)") }
        let warning = try #require(denials.warning)
        #expect(
            warning.message.hasPrefix(
                "permission denied for 7 of 8 processes: 100 (shim-100), 101 (shim-101), 102 (shim-102), 103 (shim-103), 104 (shim-104) and 2 more ("
            ))
    }

    /// Printed once: on stderr when the text report goes to the terminal,
    /// in the report when it goes to a file.
    @Test func theTextReportRepeatsWarningsOnlyWhenAskedTo() {
        var report = KubernetesReportFixtures.report()
        report.kubernetes.warnings = [
            KubernetesWarning(subject: "/proc/PID/ns/net", message: "permission denied for 1 of 2 processes: 9 (x)")
        ]
        #expect(!TextReportWriter(listsWarnings: false).render(report).contains("could not be used"))
        let inFile = TextReportWriter(listsWarnings: true).render(report)
        #expect(inFile.contains("warning: /proc/PID/ns/net: permission denied for 1 of 2 processes: 9 (x)"))
    }
}
