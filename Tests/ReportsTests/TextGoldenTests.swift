import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// The text writers byte for byte, plain and coloured: what a person reads
/// on a terminal must not change by accident either.
@Suite("Text writers (golden files)")
struct TextGoldenTests {
    @Test func auditTextColoured() {
        Golden.expectMatches("audit-report-color.txt", TextReportWriter(color: true).render(KubernetesReportFixtures.report()))
    }

    @Test func statsText() {
        let report = PortPressureFixtures.report()
        var perCPU = StatsTextWriter(color: false, perCPU: true)
        var summed = StatsTextWriter(color: true, perCPU: false, top: 1)
        perCPU.hints = .statsGolden
        summed.hints = .statsGolden
        Golden.expectMatches("stats-report.txt", perCPU.render(report) + summed.render(report))
    }

    @Test func checkText() throws {
        let files = RuleFixtures.files("k3s-flannel")
        var report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: files.iptables).run()
        report.host = "node-1"
        report.generatedAt = "2026-11-25T05:00:00Z"
        let text = CheckTextWriter(color: false).render(report) + CheckTextWriter(color: true).render(report)
        Golden.expectMatches("check-report.txt", text.replacingOccurrences(of: RuleFixtures.directory.path, with: "Fixtures/rules"))
    }

    @Test func watchText() {
        var text = ""
        for color in [false, true] {
            let writer = WatchTextWriter(color: color)
            for (index, violation) in ReportsFixtures.report().violations.enumerated() {
                let event: WatchRecord.Event = [.new, .update, .destroy, .resync][index % 4]
                text += writer.line(
                    WatchRecord(
                        event: event, violation: violation, isViolation: index % 3 != 2,
                        timeNanoseconds: WatchFixtures.time))
            }
            var summary = WatchSummary()
            summary.events = 10
            summary.violations = 2
            text += writer.summary(summary, context: WatchFixtures.context)
        }
        Golden.expectMatches("watch.txt", text)
    }
}
