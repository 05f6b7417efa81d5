import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Issue 22, part 3: source-NATed flows from outside the pod networks are
/// never hidden behind a plain "clean". A `--pod-cidr` naming the wrong
/// network used to print "no violations: every audited source-NATed flow uses
/// an allowed port", exit 0, while no pod flow was audited and the skipped
/// flows violated. Part 4: `--max-violations` forgives violations only.
@Suite("verdict: flows outside the pod networks, --max-violations")
struct ScopeVerdictTests {
    static let wrongPods = [try! IPNetwork(parsing: "10.42.0.0/16")]

    static func report(_ flows: [Flow], pods: [IPNetwork] = wrongPods, excluded: [IPNetwork] = []) -> AuditReport {
        let policy = AuditPolicy(podNetworks: pods, excludedDestinations: excluded)
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000)
        for flow in flows { accumulator.add(flow) }
        var report = AuditReport(
            host: "node-1", netns: "node", generatedAt: "2026-12-04T00:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(),
            dump: DumpResult(), tableSize: nil)
        report.natRulesSeen = 1
        return report
    }

    /// The lab's traffic as a node with the real pods in 10.244.0.0/24 sees it.
    static let labFlows = [
        FlowFactory.flow(id: 1, pod: "10.244.0.2", sport: 40001, translatedPort: 40001),
        FlowFactory.flow(id: 2, pod: "10.244.0.3", sport: 40001, translatedPort: 2589),
        FlowFactory.flow(id: 3, proto: .udp, pod: "10.244.0.4", sport: 1100, dport: 5353, translatedPort: 1100),
        FlowFactory.flow(
            id: 4, pod: "fd00:10:244::3", sport: 40001, server: "2001:db8:2::10", node: "2001:db8:1::2",
            translatedPort: 9000),
    ]

    @Test func aWrongPodCIDRWhileFlowsFromElsewhereViolateIsNeverClean() throws {
        let report = Self.report(Self.labFlows)
        #expect(report.summary.violations == 0 && report.summary.snat == 0)
        let outside = report.summary.outsidePodNetworks
        #expect(outside.flows == 4 && outside.wouldViolate == 3)
        #expect(outside.sources.entries.map(\.network.description) == ["10.244.0.0/24", "fd00:10:244::/64"])
        #expect(outside.sources.entries.map(\.flows) == [3, 1])
        #expect(outside.sources.entries.map(\.wouldViolate) == [2, 1])
        #expect(report.verdict == .outsideViolations)
        #expect(report.verdict.isFailure)
        #expect(report.fails(toleratingViolations: 0))

        var flagged = report
        flagged.hints = .marked
        let text = TextReportWriter().render(flagged)
        #expect(!text.contains("no violations:"), "\(text)")
        #expect(text.contains("violations outside the pod networks:"), "\(text)")
        #expect(text.contains("3 of 4 source-NATed flow(s) from outside the pod networks"), "\(text)")
        #expect(text.contains("  10.244.0.0/24     3 flow(s), 2 would violate\n  fd00:10:244::/64  1 flow(s), 1 would violate"), "\(text)")
        #expect(text.contains("«podNetworks» 10.244.0.0/24"), "the networks to give: \(text)")
        #expect(text.contains("10.244.0.3:40001 -> 203.0.113.10:8080  via 198.51.100.2:2589"), "an example: \(text)")

        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReportWriter.render(report).utf8)) as? [String: Any])
        #expect(json["verdict"] as? String == "outside-violations")
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["outside_pod_networks"] as? Int == 4)
        #expect(summary["outside_pod_networks_would_violate"] as? Int == 3)
        let detail = try #require(json["outside_pod_networks"] as? [String: Any])
        let sources = try #require(detail["sources"] as? [[String: Any]])
        #expect(sources.first?["network"] as? String == "10.244.0.0/24" && sources.first?["would_violate"] as? Int == 2)
        #expect((detail["examples"] as? [[String: Any]])?.count == 3)

        let ndjson = NDJSONWriter.render(report).split(separator: "\n")
        #expect(ndjson.count == 1, "no pod violation, one line about the flows outside: \(ndjson)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(ndjson[0].utf8)) as? [String: Any])
        #expect(line["schema"] as? String == NDJSONWriter.outsideSchema)
        #expect(line["verdict"] as? String == "outside-violations")
        #expect((line["outside_pod_networks"] as? [String: Any])?["would_violate"] as? Int == 3)

        let prometheus = PrometheusWriter.render(report, timestamp: 1)
        #expect(prometheus.contains("ctaudit_audit_verdict{verdict=\"outside-violations\"} 1"))
        #expect(prometheus.contains("ctaudit_audit_outside_pod_networks_flows 4"))
        #expect(prometheus.contains("ctaudit_audit_outside_pod_networks_would_violate_flows 3"))
        #expect(prometheus.contains("ctaudit_audit_outside_pod_network_source_flows{network=\"10.244.0.0/24\"} 3"))
        #expect(prometheus.contains("ctaudit_audit_outside_pod_network_source_would_violate_flows{network=\"fd00:10:244::/64\"} 1"))

        let html = HTMLReportWriter().render(report)
        #expect(html.contains("data-verdict=\"outside-violations\""))
        #expect(html.contains("id=\"outside-pod-networks-table\"") && html.contains("10.244.0.0/24"))
    }

    @Test func outsideFlowsThatWouldNotViolateAndNoPodFlowIsNothingToAudit() {
        let allowed = Self.labFlows.filter { $0.translatedSourcePort >= 32768 }
        let report = Self.report(allowed)
        #expect(report.summary.outsidePodNetworks.flows == 1 && report.summary.outsidePodNetworks.wouldViolate == 0)
        #expect(report.verdict == .nothingToAudit)
        #expect(!report.fails(toleratingViolations: 0))
        let text = TextReportWriter().render(report)
        #expect(
            text.contains("nothing to audit: no pod flow was audited: the 1 source-NATed flow(s) here come from outside the pod networks"),
            "\(text)")
        #expect(text.contains("none would violate"), "\(text)")
        #expect(!text.contains("no violations:"), "\(text)")
        #expect(PrometheusWriter.render(report, timestamp: 1).contains("ctaudit_audit_verdict{verdict=\"nothing-to-audit\"} 1"))
    }

    @Test func cleanPodFlowsBesideOutsideFlowsAreCleanInScopeNotPlainClean() throws {
        let flows =
            [FlowFactory.flow(id: 9, pod: "10.42.0.7", sport: 40009, translatedPort: 40009)]
            + Self.labFlows.filter { $0.translatedSourcePort >= 32768 }
        let report = Self.report(flows)
        #expect(report.summary.snat == 1)
        #expect(report.verdict == .cleanInScope)
        #expect(!report.verdict.isFailure)
        let text = TextReportWriter().render(report)
        #expect(text.contains("no violations among pod flows:"), "\(text)")
        #expect(
            text.contains(
                "1 source-NATed flow(s) from outside the pod networks were not audited as pod flows; none of them would violate either"),
            "\(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReportWriter.render(report).utf8)) as? [String: Any])
        #expect(json["verdict"] as? String == "clean-in-scope")
        #expect(NDJSONWriter.render(report).split(separator: "\n").count == 1)
        #expect(HTMLReportWriter().render(report).contains("data-verdict=\"clean-in-scope\""))
    }

    /// Excluded destinations are out of scope by the user's choice, and a
    /// flow whose peer is on this node never crosses the upstream firewall:
    /// neither is a flow "outside the pod networks" that could hide a problem.
    @Test func excludedDestinationsAndNodeLocalPeersAreNotOutsideFlows() {
        var hairpin = FlowFactory.flow(id: 5, pod: "10.244.0.2", server: "10.42.0.9", translatedPort: 700)
        hairpin.reply = Tuple(
            source: IPAddress("10.42.0.9")!, destination: IPAddress("10.42.0.1")!, proto: .tcp,
            sourcePort: 8080, destinationPort: 700)
        let excluded = FlowFactory.flow(id: 6, pod: "10.244.0.3", server: "192.168.7.7", translatedPort: 1000)
        let pod = FlowFactory.flow(id: 7, pod: "10.42.0.7", translatedPort: 40000)
        let report = Self.report([hairpin, excluded, pod], excluded: [try! IPNetwork(parsing: "192.168.0.0/16")])
        #expect(report.summary.outOfScope == 2)
        #expect(report.summary.outsidePodNetworks.flows == 0)
        #expect(report.verdict == .clean)
        // No pod network configured: every source is audited, nothing is outside.
        let everything = Self.report(Self.labFlows, pods: [])
        #expect(everything.summary.outsidePodNetworks.flows == 0 && everything.summary.violations == 3)
    }

    /// Memory stays bounded whatever the sources: networks are summarized
    /// per /24 (/64), and coarser when there are more than the limit.
    @Test func sourceNetworksAreSummarizedInBoundedMemory() {
        var summary = SourceNetworkSummary()
        for index in 0..<20_000 {
            let address = IPAddress(ipv4: 0x0A00_0000 | UInt32(index) << 8 | 5)
            summary.add(address, wouldViolate: index % 2 == 0)
        }
        for index in 0..<300 {
            summary.add(IPAddress(ipv6High: 0xfd00_0000_0000_0000 | UInt64(index) << 16, low: 9), wouldViolate: false)
        }
        #expect(summary.entries.filter { $0.network.address.family == .ipv4 }.count <= SourceNetworkSummary.limit)
        #expect(summary.entries.filter { $0.network.address.family == .ipv6 }.count <= SourceNetworkSummary.limit)
        #expect(summary.entries.reduce(0) { $0 + $1.flows } == 20_300)
        #expect(summary.entries.reduce(0) { $0 + $1.wouldViolate } == 10_000)
        #expect(summary.prefixLength(.ipv4) == 8, "20 000 /24s in 10.0.0.0/8 fold into 10.0.0.0/8")
        #expect(summary.entries.first?.network.description == "10.0.0.0/8")
        #expect(summary.prefixLength(.ipv6) == 32)
        var few = SourceNetworkSummary()
        few.add(IPAddress("192.168.122.5")!, wouldViolate: false)
        #expect(few.entries.map(\.network.description) == ["192.168.122.0/24"] && few.prefixLength(.ipv4) == 24)
    }

    /// Part 4: a pod whose whole range is blocked fails every connection; a
    /// tolerance for violating flows does not make that pass.
    @Test func maxViolationsForgivesViolationsNotBlockedPods() {
        var report = Self.report([FlowFactory.flow(id: 1, pod: "10.42.0.3"), FlowFactory.flow(id: 2, pod: "10.42.0.3", sport: 40002)])
        #expect(report.verdict == .violations)
        #expect(report.fails(toleratingViolations: 1) && !report.fails(toleratingViolations: 2))
        var finding = PodPortRangeFinding(
            pod: PodIdentity(ip: IPAddress("10.42.0.4")!), range: PortRange(low: 1024, high: 2047)!,
            outside: PortRangeSet([PortRange(low: 1024, high: 2047)!]))
        finding.keepingProtocols = [.tcp, .udp]
        report.kubernetes.portRangeFindings = [finding]
        #expect(report.verdict == .violations, "violations still name the verdict")
        #expect(report.blockedPods.count == 1)
        #expect(report.fails(toleratingViolations: 100))
        let json = JSONReportWriter.render(report)
        #expect(json.contains("\"pods_blocked\": 1"))
        // Flows outside the pod networks that would violate are violating flows too: forgiven alike.
        let outside = Self.report(Self.labFlows)
        #expect(outside.fails(toleratingViolations: 2) && !outside.fails(toleratingViolations: 3))
    }

    /// merge tells each node's story: flows outside its pod networks, and
    /// pods blocked on a node whose verdict word is "violations".
    @Test func mergeCarriesOutsideFlowsAndBlockedPods() throws {
        var outside = Self.report(Self.labFlows)
        outside.host = "wrong-cidr"
        var blocked = Self.report([FlowFactory.flow(id: 1, pod: "10.42.0.3")])
        blocked.host = "blocked"
        var finding = PodPortRangeFinding(
            pod: PodIdentity(ip: IPAddress("10.42.0.4")!), range: PortRange(low: 1024, high: 2047)!,
            outside: PortRangeSet([PortRange(low: 1024, high: 2047)!]))
        finding.keepingProtocols = [.tcp, .udp]
        blocked.kubernetes.portRangeFindings = [finding]
        let onlyOutside = try ReportMerger.merge([("a.json", MergeFixtures.bytes(outside))])
        #expect(onlyOutside.verdict == .outsideViolations && onlyOutside.verdict.isFailure)
        #expect(onlyOutside.totalOutside == 4 && onlyOutside.totalOutsideWouldViolate == 3)
        #expect(onlyOutside.fails(toleratingViolations: 2) && !onlyOutside.fails(toleratingViolations: 3))
        let text = MergedReportWriter.text(onlyOutside, top: 20)
        #expect(text.contains("verdict: outside-violations"), "\(text)")
        #expect(
            text.contains(
                "outside the pod networks on wrong-cidr/node: 4 source-NATed flow(s), 3 would violate (10.244.0.0/24: 3 flow(s), 2 would violate; fd00:10:244::/64: 1 flow(s), 1 would violate)"
            ), "\(text)")
        #expect(!text.contains("no violations on any node"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(MergedReportWriter.json(onlyOutside, top: 20).utf8)) as? [String: Any])
        let node = try #require((json["nodes"] as? [[String: Any]])?.first)
        #expect((node["outside_pod_networks"] as? [String: Any])?["would_violate"] as? Int == 3)

        let both = try ReportMerger.merge([("a.json", MergeFixtures.bytes(outside)), ("b.json", MergeFixtures.bytes(blocked))])
        #expect(both.nodes.first { $0.host == "blocked" }?.podsBlocked == 1)
        #expect(both.fails(toleratingViolations: 100), "a node with a pod blocked entirely fails whatever the tolerance")
    }
}
