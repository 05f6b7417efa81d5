import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// The JSON and text reports against golden files (an intended change:
/// scripts/update-goldens.sh, then review the diff).
@Suite("Report writers (golden files)")
struct ReportWriterGoldenTests {
    static func sampleReport() -> AuditReport { ReportsFixtures.report() }

    @Test func jsonReport() throws {
        Golden.expectMatches("audit-report.json", JSONReportWriter.render(Self.sampleReport()))
    }

    @Test func textReport() throws {
        Golden.expectMatches("audit-report.txt", TextReportWriter().render(Self.sampleReport()))
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
        for key in [
            "id", "proto", "family", "original", "reply", "translated", "remapped", "state", "unreplied", "assured", "timeout", "mark",
            "zone", "dataplane",
        ] {
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
