import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Library writers say that there is more (every row, each CPU, node-local
/// flows); how to get it is the caller's to word. Without the caller's words
/// they name no ctaudit flag; with them, they print those words.
@Suite("Reader hints: the library names no CLI flag")
struct ReaderHintTests {
    static let cliFlags = [
        "--format", "--top", "--node-local", "--pod-cidr", "--per-cpu", "--max-probes", "--netns", "--receive-buffer", "--config",
    ]

    static func namesNoFlag(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for flag in cliFlags {
            #expect(!text.contains(flag), "\(flag) in: \(text)", sourceLocation: sourceLocation)
        }
    }

    /// Reports that make every writer point somewhere: node-local flows not
    /// listed, no pod network, nothing to audit in another namespace, cut lists.
    static func auditReports() -> [AuditReport] {
        let hairpins = [VerdictFixtures.hairpin(translatedPort: 1000), VerdictFixtures.hairpin(translatedPort: 700)]
        var nothing = VerdictFixtures.report([], policy: AuditPolicy(podNetworks: VerdictFixtures.pods))
        nothing.natRulesSeen = 0
        let violations = (0..<3).map { FlowFactory.flow(pod: "10.244.0.\($0 + 2)", translatedPort: UInt16(1000 + $0)) }
        return [
            VerdictFixtures.report(hairpins, policy: AuditPolicy(podNetworks: VerdictFixtures.pods)),
            nothing,
            VerdictFixtures.report(violations, policy: AuditPolicy()),
        ]
    }

    @Test("audit text and HTML: plain words by default, the caller's when given")
    func auditWriters() {
        let text = TextReportWriter(flowLimit: 1, groupLimit: 1)
        let html = HTMLReportWriter(flowLimit: 1, groupLimit: 1)
        var plain = ""
        var flagged = ""
        for var report in Self.auditReports() {
            plain += text.render(report) + html.render(report) + JSONReportWriter.render(report)
            report.hints = .marked
            flagged += text.render(report) + html.render(report) + JSONReportWriter.render(report)
        }
        Self.namesNoFlag(plain)
        #expect(flagged.contains("(no «podNetworks»)"))
        #expect(flagged.contains("; «nodeLocalFlows» lists them)"))
        #expect(flagged.contains("more («everyRow» lists all)"))
        #expect(flagged.contains("more pod/destination pairs («everyRow» lists all)"))
        #expect(flagged.contains(" (<code>«nodeLocalFlows»</code> lists them)."))
        #expect(flagged.contains("; <code>«everyRow»</code> lists all."))
        #expect(flagged.contains("more pod/destination pairs; <code>«everyRow»</code> lists all."))
        #expect(flagged.contains("(host) namespace: «hostNamespace»"))
        #expect(flagged.contains("with your pod network (no «podNetworks» was given)"))
    }

    @Test("stats, merge, probe: plain words by default")
    func otherWriters() throws {
        var stats = StatsTextWriter(perCPU: false, top: 1)
        Self.namesNoFlag(stats.render(PortPressureFixtures.report()))
        stats.hints = .marked
        let flagged = stats.render(PortPressureFixtures.report())
        #expect(flagged.contains("; «perCPUCounters» for each)"))
        let merged = try ReportMerger.merge(MergeFixtures.inputs())
        Self.namesNoFlag(MergedReportWriter.text(merged, top: 1))
    }

    @Test("BPF dataplane remedies: the check that prints the real change, in the caller's words")
    func dataplaneRemedies() {
        var report = VerdictFixtures.report([], policy: AuditPolicy())
        report.summary.dataplanes[.cilium, default: .init()].violations = 2
        report.summary.dataplanes[.calico, default: .init()].violations = 1
        report.summary.violations = 3
        let plain = report.remedies.map(\.summary).joined(separator: "\n")
        Self.namesNoFlag(plain)
        #expect(plain.contains("(a check with the cluster's Cilium configuration prints the change for your configuration)"))
        report.hints = .marked
        let flagged = report.remedies.map(\.summary).joined(separator: "\n")
        #expect(flagged.contains("(`«dataplaneCheck-cilium»` prints the change for your configuration)"))
        #expect(flagged.contains("(`«dataplaneCheck-calico»` prints the change for your configuration)"))
    }

    @Test("the plain wording reads without a command line")
    func plainWording() {
        let hints: [ReaderHint] = [
            .everyRow, .allRows, .moreRows, .nodeLocalFlows, .podNetworks, .perCPUCounters,
            .probeLimit, .configFileUse, .receiveBuffer, .hostNamespace,
            .dataplaneCheck(.cilium), .dataplaneCheck(.calico),
        ]
        for hint in hints {
            let phrase = ReaderHintWording.plain.phrase(hint)
            #expect(!phrase.isCommandLine)
            #expect(!phrase.text.contains("--"), "\(hint)")
        }
    }
}
