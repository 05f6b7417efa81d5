import Foundation
import Testing
import Conntrack
@testable import ConntrackAudit

/// The JSON and text reports against golden files. Regenerate after an
/// intended change with CTAUDIT_UPDATE_GOLDEN=1 swift test --filter ReportWriterGolden
/// and review the diff.
@Suite("Report writers (golden files)")
struct ReportWriterGoldenTests {
    static func sampleReport() -> AuditReport {
        let policy = AuditPolicy(
            allowed: .defaultAllowed,
            podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16"), try! IPNetwork(parsing: "fd00:10:244::/48")]
        )
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000)
        accumulator.add(FlowFactory.flow(id: 11, sport: 40001, translatedPort: 1500))
        accumulator.add(FlowFactory.flow(id: 12, sport: 40002, translatedPort: 23310))
        accumulator.add(FlowFactory.flow(id: 13, proto: .udp, pod: "10.244.0.4", sport: 1100, dport: 5353, translatedPort: 1100,
                                         status: [.sourceNAT, .seenReply], timeout: 100))
        accumulator.add(FlowFactory.flow(id: 14, pod: "fd00:10:244::3", sport: 40003, server: "2001:db8:2::10",
                                         node: "2001:db8:1::2", translatedPort: 9000))
        accumulator.add(FlowFactory.flow(id: 15, translatedPort: 50000))
        accumulator.add(FlowFactory.flow(id: 16, status: [.confirmed]))
        accumulator.setTableEntries(120)
        var dump = DumpResult()
        dump.kernelFiltered = true
        dump.flows = 6
        return AuditReport(
            host: "node-1", netns: "ctlab-node", generatedAt: "2026-11-25T05:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(), dump: dump,
            tableSize: TableSize(entries: 120, maximum: 262144)
        )
    }

    static func golden(_ name: String, _ actual: String) throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        let url = directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["CTAUDIT_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "\(name) differs from the golden file; rerun with CTAUDIT_UPDATE_GOLDEN=1 if intended")
    }

    @Test func jsonReport() throws {
        try Self.golden("audit-report.json", JSONReportWriter.render(Self.sampleReport()))
    }

    @Test func textReport() throws {
        try Self.golden("audit-report.txt", TextReportWriter().render(Self.sampleReport()))
    }

    @Test func jsonIsValidAndHasTheDocumentedFields() throws {
        let data = Data(JSONReportWriter.render(Self.sampleReport()).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema"] as? String == "ctaudit.audit/v1")
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["flows"] == 120)
        #expect(summary["violations"] == 4)
        #expect(summary["violations_unreplied"] == 3)
        let perDataplane = try #require((object["dataplanes"] as? [String: Any])?["counts"] as? [String: [String: Int]])
        #expect(perDataplane["conntrack"]?["violations"] == 4)
        let violations = try #require(object["violations"] as? [[String: Any]])
        let first = try #require(violations.first)
        for key in ["id", "proto", "family", "original", "reply", "translated", "remapped", "state", "unreplied", "assured", "timeout", "mark", "zone", "dataplane"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        let ipv6 = try #require(violations.first { $0["family"] as? String == "ipv6" })
        #expect((ipv6["original"] as? [String: Any])?["src"] as? String == "fd00:10:244::3")
    }

    @Test func cleanTextReport() {
        var report = Self.sampleReport()
        report.violations = []
        report.summary.violations = 0
        let text = TextReportWriter().render(report)
        #expect(text.contains("no violations"))
        #expect(!text.contains("fix:"))
    }

    @Test func colourOnlyWhenAsked() {
        #expect(!TextReportWriter(color: false).render(Self.sampleReport()).contains("\u{1B}["))
        #expect(TextReportWriter(color: true).render(Self.sampleReport()).contains("\u{1B}["))
    }

    @Test func remediesFitTheFindings() throws {
        let remedies = Self.sampleReport().remedies
        #expect(remedies.map(\.kind) == [.pinNATRange, .pinNATRange, .calicoNATPortRange, .podPortRange, .widenFirewall])
        let pin = remedies[0].commands
        #expect(pin.contains("iptables -t nat -A CTAUDIT-PIN -p tcp -j MASQUERADE --to-ports 32768-65535"))
        // Into POSTROUTING only by insertion: appended rules come after the
        // node's MASQUERADE and never match.
        #expect(pin.filter { $0.contains(" POSTROUTING ") }.allSatisfy { $0.contains(" -I POSTROUTING ") })
        #expect(pin.contains("iptables -t nat -I POSTROUTING 1 -s 10.244.0.0/16 -j CTAUDIT-PIN"))
        #expect(remedies[1].summary.contains("meta l4proto { tcp, udp, dccp, sctp } masquerade to :32768-65535"))
        let podRange = try #require(remedies.first { $0.kind == .podPortRange })
        #expect(podRange.commands[0].contains("net.ipv4.ip_local_port_range=\"32768 60999\""))
    }
}
