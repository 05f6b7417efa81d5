import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Every format says which rule drops which flows when a firewall file judged them.
@Suite("Firewall: reports name the deciding rule")
struct FirewallReportTests {
    static func report(_ file: String) throws -> AuditReport {
        let firewall = try FirewallFixtures.load(file)
        let policy = AuditPolicy(firewall: firewall, podNetworks: [try IPNetwork(parsing: "10.244.0.0/16")])
        var accumulator = AuditAccumulator(policy: policy)
        accumulator.add(FlowFactory.flow(id: 1, translatedPort: 1500))
        accumulator.add(FlowFactory.flow(id: 2, translatedPort: 40000))
        accumulator.add(
            FlowFactory.flow(id: 3, proto: .udp, sport: 40001, dport: 53, translatedPort: 40001, status: [.sourceNAT, .seenReply]))
        return AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-11-30T12:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(), dump: DumpResult(), tableSize: nil)
    }

    @Test func textNamesTheRuleAndTheFix() throws {
        let text = TextReportWriter().render(try Self.report("robot-incident.json"))
        #expect(text.contains("upstream firewall: "))
        #expect(text.contains("replies admitted to: tcp/ipv4 22,32768-65535; udp/ipv4 none"))
        #expect(text.contains("2 violation(s): replies dropped by the upstream firewall"))
        #expect(text.contains("dropped by:\n  no rule matches: discarded"))
        #expect(text.contains("widen rule \"Allow responses\" (input #3)"))
        #expect(text.contains("no rule admits udp replies"))
    }

    @Test func jsonCarriesTheRuleInEveryViolationAndTheDrops() throws {
        let report = try Self.report("robot-incident.json")
        let object = try JSONSerialization.jsonObject(with: Data(JSONReportWriter.render(report).utf8)) as? [String: Any] ?? [:]
        let violations = object["violations"] as? [[String: Any]] ?? []
        #expect(violations.count == 2)
        #expect(violations.allSatisfy { ($0["rule"] as? [String: Any])?["decided_by"] as? String == "no rule matches: discarded" })
        #expect((object["firewall_drops"] as? [[String: Any]])?.count == 2)
        let firewall = (object["policy"] as? [String: Any])?["firewall"] as? [String: Any]
        #expect(((firewall?["sources"] as? [[String: Any]])?.first?["format"] as? String) == "hetzner-robot")
        // NDJSON lines carry it as well.
        #expect(NDJSONWriter.render(report).contains("\"decided_by\":\"no rule matches: discarded\""))
    }

    @Test func htmlAndWatchSayIt() throws {
        let report = try Self.report("robot-incident.json")
        let html = HTMLReportWriter().render(report)
        #expect(html.contains("id=\"firewall-drops\"") && html.contains("no rule matches: discarded"))
        var record = WatchRecord(event: .new, violation: report.violations[0], isViolation: true, timeNanoseconds: 0)
        record.firewallDecision = report.firewallDecision(for: report.violations[0])
        let line = WatchTextWriter(firewall: report.policy.firewall).line(record)
        #expect(line.contains("dropped by no rule matches: discarded"))
        #expect(WatchJSONWriter.line(record, firewall: report.policy.firewall).contains("\"rule\":{"))
    }

    @Test func statefulReportIsCleanAndSaysWhy() throws {
        let report = try Self.report("aws-security-groups.json")
        #expect(report.summary.violations == 0)
        let text = TextReportWriter().render(report)
        #expect(
            text.contains(
                "no violations: AWS security groups (stateful) is stateful: it admits the replies of connections it let out on any port, so it imposes no reply-port range"
            ))
        #expect(HTMLReportWriter().render(report).contains("imposes no reply-port range"))
    }
}
