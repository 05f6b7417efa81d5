import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Every JSON document and line the tool writes, byte for byte: stats, check
/// and watch next to the audit and merge goldens.
@Suite("JSON writers (golden files)")
struct JSONGoldenTests {
    @Test func statsJSON() {
        Golden.expectMatches("stats-report.json", StatsJSONWriter.render(PortPressureFixtures.report()))
    }

    @Test func checkJSON() throws {
        let files = RuleFixtures.files("random-fully")
        var report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: files.iptables, nftJSONFiles: files.nft).run()
        report.host = "node-1"
        report.generatedAt = "2026-11-25T05:00:00Z"
        report.kernelRelease = "6.18.0"
        // The fixtures' paths depend on where the package is built.
        let text = CheckJSONWriter.render(report).replacingOccurrences(of: RuleFixtures.directory.path, with: "Fixtures/rules")
        Golden.expectMatches("check-report.json", text)
    }

    @Test func watchNDJSON() {
        var text = ""
        for (index, violation) in ReportsFixtures.report().violations.enumerated() {
            let event: WatchRecord.Event = [.new, .update, .destroy, .resync][index % 4]
            text += WatchJSONWriter.line(
                WatchRecord(
                    event: event, violation: violation, isViolation: index % 3 != 2,
                    timeNanoseconds: WatchFixtures.time + UInt64(index) * 1_000_000))
        }
        var summary = WatchSummary()
        summary.events = 10
        summary.snat = 4
        summary.violations = 2
        summary.eventsLost = 7
        text += WatchJSONWriter.summary(summary, context: WatchFixtures.context)
        Golden.expectMatches("watch.ndjson", text)
    }

    /// Pods named, pod port ranges, warnings, and a host name that needs escaping.
    @Test func auditWithKubernetesAndEscapes() {
        var report = KubernetesReportFixtures.report()
        report.host = "node \"1\"\\\n\t\u{1}\u{7F} é"
        Golden.expectMatches("audit-kubernetes.json", JSONReportWriter.render(report))
        Golden.expectMatches("audit-kubernetes.ndjson", NDJSONWriter.render(report))
    }
}
