import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// The firewall stays a program wherever it is used (issue 22): summaries,
/// pod findings, check predictions and remedies ask it per protocol, family
/// and node address, and a real firewall manager's export is judged by what
/// it says, not by assumptions about modules ctaudit did not read.
@Suite("Firewall: asked per protocol, family and node")
struct FirewallConditionalTests {
    static let node4 = IPAddress("198.51.100.2")!
    static let node6 = IPAddress("2001:db8:1::2")!

    static func policy(_ file: String, nodes: [IPAddress] = []) throws -> AuditPolicy {
        var policy = AuditPolicy(
            firewall: try FirewallFixtures.load(file),
            podNetworks: [try IPNetwork(parsing: "10.244.0.0/16"), try IPNetwork(parsing: "fd00:10:244::/64")])
        policy.nodeAddresses = nodes
        return policy
    }

    static func flows(v6: Bool) -> [Flow] {
        [1, 1500, 20000, 32767, 32768, 40000, 65535].flatMap { port -> [Flow] in
            [IPProtocol.tcp, .udp].map { proto in
                v6
                    ? FlowFactory.flow(
                        proto: proto, pod: "fd00:10:244::3", server: "2001:db8:2::10", node: "2001:db8:1::2", translatedPort: port)
                    : FlowFactory.flow(proto: proto, translatedPort: port)
            }
        }
    }

    // MARK: - A real ufw / firewalld gateway (exports captured by scripts/capture-firewall-managers.sh)

    @Test(
        "ufw and firewalld exports admit every reply, both families, both forms",
        arguments: [
            "ufw-gateway.rules", "ufw-gateway.nft.json", "firewalld-gateway.nft.json", "firewalld-gateway.iptables",
        ])
    func firewallManagerExports(file: String) throws {
        let policy = try Self.policy(file)
        for flow in Self.flows(v6: false) + Self.flows(v6: true) {
            #expect(
                policy.outcomeClass(flow) == "allowed",
                "\(file): \(flow.proto) \(flow.family) \(flow.translatedSourcePort): \(policy.decide(flow))")
        }
        for admission in policy.admissions.summarized {
            #expect(admission.words == "0-65535", "\(file) \(admission.key): \(admission.words)")
        }
        // check on the incident's plain masquerade: safe, as with --allow 0-65535.
        let report = try CheckFirewallTests.check("plain-masquerade", policy: policy)
        #expect(report.verdict == .safe, "\(file): \(report.findings.map(\.reason))")
    }

    @Test func ufwIPv6RoutingHeaderRuleNoLongerDropsReplies() throws {
        let firewall = try FirewallFixtures.load("ufw-gateway.rules")
        let flow = Self.flows(v6: true)[0]
        let decision = firewall.decide(flow)
        #expect(decision.accepts)
        #expect(decision.decidedBy.contains("ufw6-before-forward rule #2"), "\(decision)")
        #expect(decision.decidedBy.contains("ct state established,related"))
    }

    // MARK: - A node-scoped stateless gateway

    @Test func nodeScopedGatewayIsAskedForTheNodesAddress() throws {
        let scoped = try Self.policy("gateway-node-scoped.iptables", nodes: [Self.node4, Self.node6])
        let byAllow = AuditPolicy(allowed: .defaultAllowed, podNetworks: scoped.podNetworks)
        for flow in Self.flows(v6: false) + Self.flows(v6: true) {
            #expect(scoped.classify(flow) == byAllow.classify(flow), "\(flow.proto) \(flow.family) \(flow.translatedSourcePort)")
        }
        #expect(scoped.admissions.summarized.map(\.words) == Array(repeating: "32768-65535", count: 4))
        // Another node's address is not filtered by this gateway.
        let other = FlowFactory.flow(translatedPort: 1500).with(node: "198.51.100.9")
        #expect(scoped.classify(other) == .allowed(remapped: true))  // pod port 40000 became 1500
        // Not knowing the node, the summary says how it depends on it.
        let unknown = try Self.policy("gateway-node-scoped.iptables")
        #expect(
            unknown.firewall!.admittedSummary()[0]
                == "tcp/ipv4 depends on the node's address: 32768-65535 for 198.51.100.2/32; 0-65535 for other addresses")
        // check gives --allow's verdict, whether it knows the node's address or judges the worst.
        for nodes in [[Self.node4, Self.node6], []] {
            var policy = unknown
            policy.nodeAddresses = nodes
            let byFirewall = try CheckFirewallTests.check("plain-masquerade", policy: policy)
            let allow = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("plain-masquerade").iptables).run()
            #expect(byFirewall.verdict == allow.verdict, "nodes \(nodes)")
            #expect(byFirewall.verdict == .atRisk)
            #expect(!CheckTextWriter().render(byFirewall).contains("outside  "))
        }
    }

    // MARK: - Protocol-dependent Robot rules

    @Test func robotWithProtocolDependentRulesBlocksNoPodForAProtocolThatAdmitsItsRange() throws {
        let policy = try Self.policy("robot-protocol-dependent.json", nodes: [Self.node4])
        let table = policy.admissions
        #expect(table[.tcp, .ipv4].words == "1024-65535")
        #expect(table[.udp, .ipv4].words == "0-65535 only from source port 53, none from other peers")
        #expect(table[.udp, .ipv4].peerSentence == "UDP/ipv4 replies admitted only from source port 53 (0-65535)")
        // A pod on the kernel default: TCP admits its range; UDP depends on the server's port, in words.
        let exposures = PodPortRangeScan.exposures(PortRange(low: 32768, high: 60999)!, families: [.ipv4], admissions: table)
        #expect(!exposures.contains { $0.proto == .tcp })
        let udp = try #require(exposures.first { $0.proto == .udp })
        #expect(udp.blocked.isEmpty)
        #expect(udp.peers == "UDP/ipv4 replies admitted only from source port 53 (0-65535)")
        var finding = PodPortRangeFinding(
            pod: PodIdentity(ip: IPAddress("10.244.0.3")!), range: PortRange(low: 32768, high: 60999)!,
            exposures: exposures)
        finding.keepingProtocols = [.tcp, .udp, .sctp, .dccp, .udplite]
        #expect(!finding.failsEveryConnection)
        let line = TextReportWriter.portRangeLine(finding)
        #expect(line.contains("UDP/ipv4 replies admitted only from source port 53 (0-65535) for udp"), "\(line)")
        #expect(!line.contains("for tcp"), "\(line)")
        // DNS flows are fine, other UDP is judged per flow (the peer is known there).
        let dns = FlowFactory.flow(proto: .udp, dport: 53, translatedPort: 40000)
        let other = FlowFactory.flow(proto: .udp, dport: 5353, translatedPort: 40000)
        #expect(policy.classify(dns) == .allowed(remapped: false))
        #expect(policy.classify(other) == .violation(remapped: false))
        // check: TCP safe in 1024-65535; UDP judged for the peers it admits (source port 53): safe.
        let report = try CheckFirewallTests.check("plain-masquerade", policy: policy)
        #expect(report.verdict == .safe, "\(report.findings.map(\.reason))")
        let text = CheckTextWriter().render(report)
        #expect(text.contains("udp/ipv4 (replies from source port 53) from 32768-60999: safe"), "\(text)")
        #expect(!text.contains("outside  ") && !text.contains("not only  "))
    }

    @Test func aClosedProtocolStillBlocksAndTheFixIsAFirewallRule() throws {
        let policy = try Self.policy("robot-incident.json", nodes: [Self.node4])
        let exposures = PodPortRangeScan.exposures(PortRange(low: 32768, high: 60999)!, families: [.ipv4], admissions: policy.admissions)
        let udp = try #require(exposures.first { $0.proto == .udp })
        #expect(udp.blocked.description == "32768-60999")
        #expect(!exposures.contains { $0.proto == .tcp })
        let report = try CheckFirewallTests.check("plain-masquerade", policy: policy)
        #expect(report.verdict == .broken)
        #expect(
            report.findings[0].reason.contains("udp/ipv4: the firewall admits these replies on no port"), "\(report.findings[0].reason)")
    }

    // MARK: - Uncertain

    static let uncertainGateway = """
        *filter
        :FORWARD DROP [0:0]
        -A FORWARD -p udp -m set --match-set trusted src -j ACCEPT
        -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -p tcp -j ACCEPT
        COMMIT
        """

    static func uncertainReport() throws -> AuditReport {
        let firewall = try FirewallFile.parse(Array(uncertainGateway.utf8), path: "gw.rules")
        var policy = AuditPolicy(firewall: firewall, podNetworks: [try IPNetwork(parsing: "10.244.0.0/16")])
        var accumulator = AuditAccumulator(policy: policy)
        accumulator.add(FlowFactory.flow(id: 1, translatedPort: 1500))
        accumulator.add(FlowFactory.flow(id: 2, proto: .udp, sport: 40001, dport: 53, translatedPort: 40001, status: [.sourceNAT]))
        accumulator.finish()
        policy.nodeAddresses = accumulator.translatedAddresses
        var report = AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-11-30T12:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(), dump: DumpResult(), tableSize: nil)
        report.firewallDropTally = accumulator.firewallDrops
        report.firewallUncertainTally = accumulator.firewallUncertain
        report.uncertainFlows = accumulator.takeUncertainFlows()
        return report
    }

    @Test func aFlowAnUnknownMatchDecidesIsUncertainInEveryFormat() throws {
        let report = try Self.uncertainReport()
        #expect(report.summary.uncertain == 1 && report.summary.uncertainUnreplied == 1 && report.summary.violations == 0)
        #expect(report.verdict == .uncertain)
        #expect(!report.verdict.isFailure)
        let text = TextReportWriter().render(report)
        #expect(
            text.contains("uncertain: no violation, but a firewall rule ctaudit cannot judge decides the replies of 1 flow(s)"), "\(text)")
        #expect(text.contains("ipset trusted"))
        let json = try JSONSerialization.jsonObject(with: Data(JSONReportWriter.render(report).utf8)) as? [String: Any] ?? [:]
        #expect(json["verdict"] as? String == "uncertain")
        #expect((json["summary"] as? [String: Any])?["uncertain"] as? Int == 1)
        let flows = json["uncertain_flows"] as? [[String: Any]] ?? []
        #expect(flows.count == 1 && (flows.first?["rule"] as? [String: Any])?["outcome"] as? String == "uncertain")
        #expect((json["firewall_uncertain"] as? [[String: Any]])?.count == 1)
        #expect(NDJSONWriter.render(report).contains("\"uncertain\":true"))
        let prom = PrometheusWriter.render(report, timestamp: 0)
        #expect(prom.contains("ctaudit_audit_uncertain_flows 1"))
        #expect(prom.contains("ctaudit_audit_verdict{verdict=\"uncertain\"} 1"))
        let html = HTMLReportWriter().render(report)
        #expect(html.contains("data-verdict=\"uncertain\"") && html.contains("firewall-uncertain"))
        // merge reads the word and the count; an uncertain node is never clean.
        #expect(MergedVerdict.of(reported: "uncertain", violations: 0, uncertain: 1, incomplete: false) == .uncertain)
        #expect(MergedVerdict.of(reported: "clean", violations: 0, uncertain: 1, incomplete: false) == .uncertain)
        #expect(MergedVerdict.worst([.clean, .uncertain]) == .uncertain)
    }

    @Test func watchSaysItToo() throws {
        let firewall = try FirewallFile.parse(Array(Self.uncertainGateway.utf8), path: "gw.rules")
        var tracker = WatchTracker(policy: AuditPolicy(firewall: firewall, podNetworks: [try IPNetwork(parsing: "10.244.0.0/16")]))
        tracker.beginDump(.initial)
        let dumped = tracker.dumped(
            FlowFactory.flow(
                id: 2, proto: .udp, sport: 40001, dport: 53, translatedPort: 40001,
                status: [.sourceNAT]), nowNanoseconds: 0)
        let record = try #require(dumped)
        tracker.finishDump()
        #expect(record.isUncertain && !record.isViolation)
        #expect(tracker.summary.uncertain == 1 && tracker.summary.violations == 0)
        #expect(WatchTextWriter(firewall: firewall).line(record).contains("UNCERTAIN"))
        #expect(WatchJSONWriter.line(record, firewall: firewall).contains("\"uncertain\":true"))
        let metrics = WatchMetricsWriter.render(
            tracker.counters, tracker.summary,
            context: .init(startTimeSeconds: 0, allowed: .defaultAllowed), target: .textfile)
        #expect(
            metrics.contains(
                "ctaudit_watch_uncertain_flows_total{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"udp\"} 1"))
    }

    @Test func checkCallsPortsAnUnknownRuleDecidesUncertain() throws {
        let text =
            "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -p tcp --dport 32768:65535 -j ACCEPT\n-A FORWARD -p tcp -m set --match-set x src -j ACCEPT\n-A FORWARD -p udp -j ACCEPT\nCOMMIT\n"
        let policy = AuditPolicy(firewall: try FirewallFile.parse(Array(text.utf8), path: "gw.rules"))
        // A rule pinned to 32768-65535 is safe; plain masquerade's clashes land where the ipset decides.
        #expect(try CheckFirewallTests.check("fixed-range", policy: policy).verdict == .safe)
        let plain = try CheckFirewallTests.check("plain-masquerade", policy: policy)
        #expect(plain.verdict == .uncertain, "\(plain.findings.map(\.reason))")
        #expect(plain.findings[0].reason.contains("a firewall rule ctaudit cannot judge decides replies to 1024-32767"))
    }

    // MARK: - Remedies per protocol

    @Test func remediesPinEachProtocolToWhatItsRepliesGetThroughTo() throws {
        let text = """
            *filter
            :FORWARD DROP [0:0]
            -A FORWARD -p tcp --dport 32768:65535 -j ACCEPT
            -A FORWARD -p udp --dport 1024:65535 -j ACCEPT
            -A FORWARD -p sctp -j ACCEPT
            -A FORWARD -p dccp -j ACCEPT
            COMMIT
            """
        let policy = AuditPolicy(
            firewall: try FirewallFile.parse(Array(text.utf8), path: "gw.rules"),
            podNetworks: [try IPNetwork(parsing: "10.244.0.0/16")])
        var accumulator = AuditAccumulator(policy: policy)
        accumulator.add(FlowFactory.flow(id: 1, translatedPort: 1500))
        accumulator.add(FlowFactory.flow(id: 2, proto: .udp, translatedPort: 800))
        let report = AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-11-30T12:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(), dump: DumpResult(), tableSize: nil)
        let pin = try #require(report.remedies.first { $0.kind == .pinNATRange && !$0.commands.isEmpty })
        #expect(pin.commands.contains("iptables -t nat -A CTAUDIT-PIN -p tcp -j MASQUERADE --to-ports 32768-65535"), "\(pin.commands)")
        #expect(pin.commands.contains("iptables -t nat -A CTAUDIT-PIN -p udp -j MASQUERADE --to-ports 1024-65535"), "\(pin.commands)")
        let prom = PrometheusWriter.render(report, timestamp: 0)
        #expect(prom.contains("ctaudit_audit_allowed_ports{allowed=\"32768-65535\",family=\"ipv4\",proto=\"tcp\"} 32768"))
        #expect(prom.contains("ctaudit_audit_allowed_ports{allowed=\"1024-65535\",family=\"ipv4\",proto=\"udp\"} 64512"))
        #expect(
            prom.contains("ctaudit_audit_violation_flows{allowed=\"1024-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"udp\"} 1"))
    }
}

extension AuditPolicy {
    /// The class without `remapped`.
    func outcomeClass(_ flow: Flow) -> String {
        switch classify(flow) {
        case .allowed: "allowed"
        case .violation: "violation"
        case .uncertain: "uncertain"
        default: "other"
        }
    }
}

extension Flow {
    /// The same flow translated to another node address.
    func with(node: String) -> Flow {
        var copy = self
        copy.reply = Tuple(
            source: reply.source, destination: IPAddress(node)!, proto: reply.proto,
            sourcePort: reply.sourcePort, destinationPort: reply.destinationPort, icmp: nil)
        return copy
    }
}

/// `check` with a `--firewall` policy on a captured NAT rule set.
enum CheckFirewallTests {
    static func check(_ rules: String, policy: AuditPolicy) throws -> CheckReport {
        var check = NodeCheck(allowed: policy.allowed, iptablesSaveFiles: RuleFixtures.files(rules).iptables)
        check.firewallPolicy = policy
        check.nodeAddresses = policy.nodeAddresses
        return try check.run()
    }
}
