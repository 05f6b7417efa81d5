import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Issue 12: only traffic that leaves the node is an upstream violation,
/// audit and check judge the node's rules the same way, and an audit with
/// nothing to judge says so.
@Suite("verdict: node-local scope, rules, nothing to audit")
struct VerdictTests {

    @Test func aPeerOnTheNodeIsNodeLocalNeverAViolation() {
        let policy = AuditPolicy(
            podNetworks: VerdictFixtures.pods, serviceNetworks: [try! IPNetwork(parsing: "10.96.0.0/12")],
            localAddresses: [IPAddress("198.51.100.2")!])
        // Backend pod, loopback, the node's own address, a service VIP left un-DNATed.
        for peer in ["10.244.0.4", "127.0.0.1", "198.51.100.2", "10.96.0.10"] {
            #expect(policy.classify(VerdictFixtures.hairpin(translatedPort: 1000, backend: peer)) == .nodeLocal(remapped: false), "\(peer)")
        }
        #expect(policy.classify(VerdictFixtures.hairpin(translatedPort: 700)) == .nodeLocal(remapped: true))
        // The same low port to a server outside stays a violation.
        #expect(policy.classify(FlowFactory.flow(pod: "10.244.0.2", translatedPort: 1000)) == .violation(remapped: true))
    }

    @Test func nodeLocalFlowsAreCountedListedOnlyWithAllAndNeverInTheExitStatus() {
        let policy = AuditPolicy(podNetworks: VerdictFixtures.pods)
        let flows = [VerdictFixtures.hairpin(translatedPort: 1000), VerdictFixtures.hairpin(translatedPort: 700)]
        let counted = VerdictFixtures.report(flows, policy: policy)
        #expect(counted.summary.nodeLocal == 2 && counted.summary.violations == 0 && counted.summary.snat == 0)
        #expect(counted.nodeLocalFlows.isEmpty)
        #expect(counted.verdict == .clean)
        #expect(!counted.verdict.isFailure)
        var flagged = counted
        flagged.hints = .marked
        #expect(
            TextReportWriter().render(flagged).contains("node-local 2 (peer on this node: never violations; «nodeLocalFlows» lists them)"))
        #expect(
            TextReportWriter().render(counted).contains(
                "node-local 2 (peer on this node: never violations; a report of every remap lists them)"))
        let listed = VerdictFixtures.report(flows, policy: policy, listsNodeLocal: true)
        #expect(listed.nodeLocalFlows.count == 2)
        let text = TextReportWriter().render(listed)
        #expect(text.contains("node-local flows (the peer is on this node"))
        #expect(text.contains("10.244.0.2:1000 -> 10.96.0.10:80  via 10.244.0.1:700"))
        let json = JSONReportWriter.render(listed)
        #expect(json.contains("\"node_local\": 2"))
        #expect(json.contains("\"verdict\": \"clean\""))
        #expect(HTMLReportWriter().render(listed).contains("id=\"node-local-table\""))
        #expect(PrometheusWriter.render(listed, timestamp: 1).contains("ctaudit_audit_node_local_flows 2"))
    }

    @Test func noSourceNATRuleAndNoSourceNATedFlowIsNothingToAudit() {
        var report = VerdictFixtures.report([], policy: AuditPolicy(podNetworks: VerdictFixtures.pods))
        report.natRulesSeen = 0
        #expect(report.verdict == .nothingToAudit)
        #expect(!report.verdict.isFailure)
        let text = TextReportWriter().render(report)
        #expect(text.contains("nothing to audit: no source-NAT rule and no source-NATed flow in netns node"))
        #expect(text.contains("usually source-NATed in the node's own (host) namespace: audit the node's own network namespace"))
        var flagged = report
        flagged.hints = .marked
        #expect(TextReportWriter().render(flagged).contains("usually source-NATed in the node's own (host) namespace: «hostNamespace»"))
        #expect(!text.contains("no violations"))
        #expect(JSONReportWriter.render(report).contains("\"verdict\": \"nothing-to-audit\""))
        #expect(HTMLReportWriter().render(report).contains("data-verdict=\"nothing-to-audit\""))
        #expect(PrometheusWriter.render(report, timestamp: 1).contains("ctaudit_audit_verdict{verdict=\"nothing-to-audit\"} 1"))
        // A rule but no traffic right now is an ordinary clean audit.
        report.natRulesSeen = 1
        #expect(report.verdict == .clean)
    }

    static func rules(_ save: String, pods: [IPNetwork] = VerdictFixtures.pods) throws -> NodeNATRules {
        let parsed = try IptablesSaveParser(origin: "test").parse(save)
        return NodeNATRules.judge([parsed.rules], policy: AuditPolicy(podNetworks: pods))
    }

    static let plainMasquerade = """
        *nat
        :POSTROUTING ACCEPT [0:0]
        -A POSTROUTING -s 10.244.0.0/24 ! -d 10.244.0.0/24 -j MASQUERADE
        COMMIT
        """

    /// The lab's node after pasting audit's printed lines: the chain's
    /// RETURNs for pod networks and multicast do not stop it from taking
    /// TCP/UDP/SCTP/DCCP away from the node's own rule.
    static let pinned = """
        *nat
        :POSTROUTING ACCEPT [0:0]
        :CTAUDIT-PIN - [0:0]
        -A POSTROUTING -s 10.244.0.0/24 -j CTAUDIT-PIN
        -A POSTROUTING -s 10.244.0.0/24 ! -d 10.244.0.0/24 -j MASQUERADE
        -A CTAUDIT-PIN -d 10.244.0.0/24 -j RETURN
        -A CTAUDIT-PIN -d 10.245.0.0/24 -j RETURN
        -A CTAUDIT-PIN -d 224.0.0.0/4 -j RETURN
        -A CTAUDIT-PIN -p tcp -j MASQUERADE --to-ports 32768-65535
        -A CTAUDIT-PIN -p udp -j MASQUERADE --to-ports 32768-65535
        -A CTAUDIT-PIN -p dccp -j MASQUERADE --to-ports 32768-65535
        -A CTAUDIT-PIN -p sctp -j MASQUERADE --to-ports 32768-65535
        COMMIT
        """

    @Test func aPodPortRangeMattersOnlyWhereARuleKeepsThePort() throws {
        let pod = IPAddress("10.244.0.4")!
        let blocked = PortRangeSet([PortRange(low: 1024, high: 2047)!])
        let twoPools = VerdictFixtures.pods + [try IPNetwork(parsing: "10.245.0.0/24")]
        #expect(
            try Self.rules(Self.plainMasquerade).protocolsKeeping(
                blocked, from: pod, policy: AuditPolicy(podNetworks: VerdictFixtures.pods))
                == [.tcp, .udp, .sctp, .dccp, .udplite])
        #expect(
            try Self.rules(Self.pinned, pods: twoPools).protocolsKeeping(blocked, from: pod, policy: AuditPolicy(podNetworks: twoPools))
                == [.udplite])
        // The pin chain audit printed names the pod networks (10.245.0.0/24
        // too) even when this run was not told about them.
        #expect(
            try Self.rules(Self.pinned).protocolsKeeping(blocked, from: pod, policy: AuditPolicy(podNetworks: VerdictFixtures.pods))
                == [.udplite])
        // A CNI's own chain with the same RETURN for an unknown network does
        // not: traffic to 10.245.0.0/24 really reaches the node's rule.
        let cniChain = Self.pinned.replacingOccurrences(of: "CTAUDIT-PIN", with: "CNI-NAT")
        #expect(
            try Self.rules(cniChain).protocolsKeeping(blocked, from: pod, policy: AuditPolicy(podNetworks: VerdictFixtures.pods))
                .contains(.tcp))
    }

    @Test func aPodBlockedEntirelyWithNoPinFailsTheAudit() throws {
        var report = VerdictFixtures.report([], policy: AuditPolicy(podNetworks: VerdictFixtures.pods))
        report.natRulesSeen = 1
        var finding = PodPortRangeFinding(
            pod: PodIdentity(ip: IPAddress("10.244.0.4")!), range: PortRange(low: 1024, high: 2047)!,
            outside: PortRangeSet([PortRange(low: 1024, high: 2047)!]))
        finding.keepingProtocols = [.tcp, .udp, .sctp, .dccp, .udplite]
        report.kubernetes.portRangeFindings = [finding]
        #expect(report.verdict == .podsBlocked && report.verdict.isFailure)
        #expect(TextReportWriter().render(report).contains("blocked 1024-2047 (100%) for tcp, udp, sctp, dccp, udplite"))
        // Pinned: no longer blocked, no longer a failure; UDP-Lite is named.
        report.kubernetes.portRangeFindings[0].keepingProtocols = [.udplite]
        #expect(report.verdict == .clean)
        let text = TextReportWriter().render(report)
        #expect(!text.contains("blocked"))
        #expect(text.contains("still kept for udplite"))
    }

    /// The walkthrough's case: audit was given the whole pod network
    /// (10.244.0.0/16), the node's rule names its /24. The pin still takes
    /// all of the /24's TCP/UDP.
    @Test func aPinForAWiderPodNetworkShadowsTheNodesRuleForItsSubnet() throws {
        let wide = Self.pinned.replacingOccurrences(
            of: "-A POSTROUTING -s 10.244.0.0/24 -j CTAUDIT-PIN",
            with: "-A POSTROUTING -s 10.244.0.0/16 -j CTAUDIT-PIN")
        let pods = [try IPNetwork(parsing: "10.244.0.0/16")]
        #expect(
            try Self.rules(wide, pods: pods).protocolsKeeping(
                PortRangeSet([PortRange(low: 1024, high: 2047)!]), from: IPAddress("10.244.0.4")!, policy: AuditPolicy(podNetworks: pods))
                == [.udplite])
        #expect(RuleChecker.covers(["-s 10.244.0.0/16"], ["-s 10.244.0.0/24", "! -d 10.244.0.0/24"]))
        #expect(!RuleChecker.covers(["-s 10.244.0.0/24"], ["-s 10.244.0.0/16"]))
        #expect(!RuleChecker.covers(["-o eth0"], ["-s 10.244.0.0/16"]))
    }

    @Test func checkSeesThePinnedNodeAsSafeAndNamesWhatStillReachesTheOldRule() throws {
        let parsed = try IptablesSaveParser(origin: "test").parse(Self.pinned)
        let low = PortSource(range: PortRange(low: 1024, high: 2047)!, origin: .declared, users: ["pod3"])
        let findings = RuleChecker(
            allowed: .defaultAllowed, podNetworks: VerdictFixtures.pods + [try IPNetwork(parsing: "10.245.0.0/24")],
            sources: [low]
        ).check([parsed.rules])
        #expect(findings.allSatisfy { $0.verdict == .safe }, "\(findings.map(\.reason))")
        let old = try #require(findings.first { $0.rule.chain == "POSTROUTING" })
        #expect(old.reason.contains("udplite still do"))
        #expect(old.reason.contains("iptables cannot pin UDP-Lite"))
        // Before the fix the same pod range is broken there.
        let before = RuleChecker(allowed: .defaultAllowed, podNetworks: VerdictFixtures.pods, sources: [low])
            .check([try IptablesSaveParser(origin: "test").parse(Self.plainMasquerade).rules])
        #expect(before.map(\.verdict) == [.broken])
    }

    /// Issue 12, part 5: the HTML page tells what the text report tells.
    @Test func theHTMLPageHasPodsFindingsWarningsAndTheFixBeforeTheEvidence() throws {
        var report = KubernetesReportFixtures.report()
        // Rules unread: the generic forms, none marked, `ctaudit check` named as code.
        let generic = HTMLReportWriter().render(report)
        #expect(!generic.contains("`"), "no literal backticks")
        #expect(generic.contains("<code>ctaudit check</code>"))
        #expect(generic.contains("were not read") && !generic.contains("<b>applies here:</b>"))
        // Rules read: the per-rule fix is marked.
        let rules = try Self.rules(Self.plainMasquerade)
        report.natRuleTools = rules.toolsDescription
        report.natRuleFindings = rules.findings
        let html = HTMLReportWriter().render(report)
        #expect(!html.contains("`"), "no literal backticks")
        #expect(html.contains("shop/web-1 (netns cni-1234)"), "pod names and netns in the offender and evidence tables")
        #expect(html.contains("id=\"pod-port-range-table\"") && html.contains("1024-2047"))
        #expect(html.contains("Could not be used on the node:"), "warnings")
        #expect(html.contains("<th class=\"num\">node-local</th>"))
        #expect(html.contains("<b>applies here:</b>"))
        let fix = try #require(html.range(of: "id=\"remedies\""))
        let evidence = try #require(html.range(of: "id=\"evidence\""))
        #expect(fix.lowerBound < evidence.lowerBound, "what to change comes before the evidence")
    }
}
