public import Conntrack
public import NodeState
public import Policy

/// The audited namespace's source-NAT rules, as far as `audit` needs them:
/// whether there are any (else there was nothing to audit), and which
/// protocols of a pod's egress traffic reach a rule that keeps the pod's
/// own port (only then does the pod's `ip_local_port_range` matter).
/// Read-only, with the same reader and shadowing rules as `ctaudit check`,
/// so the two commands judge one node the same way.
public struct NodeNATRules: Sendable {
    /// Every source-NAT rule reachable from POSTROUTING, with the protocols
    /// that really reach it (earlier rules take theirs).
    public var findings: [RuleFinding]

    public init(findings: [RuleFinding]) {
        self.findings = findings
    }

    public var ruleCount: Int { findings.count }

    /// `iptables`, `nftables`, `iptables (Calico)`...: what the node's
    /// source-NAT rules are written with, so a report can say which fix applies.
    public var toolsDescription: String? {
        var names: [String] = []
        if findings.contains(where: { $0.rule.controller == "calico" }) { names.append("Calico (Felix)") }
        if findings.contains(where: { $0.rule.tool != .nft && $0.rule.controller != "calico" }) { names.append("iptables") }
        if findings.contains(where: { $0.rule.tool == .nft }) { names.append("nftables") }
        return names.isEmpty ? nil : names.joined(separator: " and ")
    }

    /// Port-carrying protocols, in the order reports name them.
    public static let portProtocols: [IPProtocol] = [.tcp, .udp, .sctp, .dccp, .udplite]

    /// Reads the live rules of `namespace` (nil: ctaudit's own).
    public static func read(namespace: NetworkNamespace?, policy: AuditPolicy) throws -> NodeNATRules {
        let rules = try RuleSetReader(namespace: namespace).read()
        return judge(rules.groups, policy: policy)
    }

    /// The rules of `groups` (each in evaluation order) with their effective protocols.
    public static func judge(_ groups: [[NATRule]], policy: AuditPolicy) -> NodeNATRules {
        // With --firewall each protocol is pinned to what its replies get through to (as check does).
        let checker = RuleChecker(
            allowed: policy.allowed, podNetworks: policy.podNetworks, sources: [.assumedPods],
            admissions: policy.firewall == nil ? nil : policy.admissions)
        return NodeNATRules(findings: checker.check(groups))
    }

    /// The protocols of `address`'s traffic to the outside that reach a rule
    /// which can keep one of the `blocked` ports: no random port choice, and
    /// no pinned range that leaves those ports out. Rules only for traffic
    /// to pod or service networks (hairpin) are not egress and are skipped.
    public func protocolsKeeping(_ blocked: PortRangeSet, from address: IPAddress, policy: AuditPolicy) -> [IPProtocol] {
        var found = Set<IPProtocol>()
        for finding in findings {
            let rule = finding.rule
            // Its own and its jumps' source matches (the bridge plugin's chain
            // per pod); the portmap plugin's hairpin masquerade is never egress.
            guard rule.admitsSource(address), !rule.isHostPortHairpin else { continue }
            if let destination = rule.destination, !destination.hasPrefix("!"),
                let network = try? IPNetwork(parsing: destination),
                (policy.podNetworks + policy.serviceNetworks).contains(where: {
                    $0.prefixLength <= network.prefixLength && $0.contains(network.address)
                })
            {
                continue
            }
            guard !rule.ports.remapsEveryFlow else { continue }
            if let range = rule.ports.range, PortRangeSet(range).intersection(blocked).ranges.isEmpty { continue }
            for proto in Self.portProtocols where finding.effectiveProtocols.contains(proto) { found.insert(proto) }
        }
        return Self.portProtocols.filter(found.contains)
    }

    /// Reads the rules when the report needs them (a pod's port range to
    /// judge, or no source-NATed flow at all) and records what they say.
    public static func annotate(_ report: inout AuditReport, namespace: NetworkNamespace?) {
        annotate(&report, policy: report.policy) { try RuleSetReader(namespace: namespace).read() }
    }

    /// As `annotate(_:namespace:)`, with the rules read while the table was dumped.
    static func annotate(_ report: inout AuditReport, prefetched: NATRulesPrefetch) {
        annotate(&report, policy: report.policy) { try prefetched.rules() }
    }

    /// `readRules` runs only when the report needs the rules.
    private static func annotate(_ report: inout AuditReport, policy: AuditPolicy, readRules: () throws -> RuleSet) {
        let summary = report.summary
        let natedFlows = summary.snat + summary.nodeLocal + summary.outOfScope
        guard natedFlows == 0 || summary.violations > 0 || !report.kubernetes.portRangeFindings.isEmpty else { return }
        let rules: NodeNATRules
        do {
            rules = judge(try readRules().groups, policy: policy)
        } catch {
            report.natRulesError = "\(error)"
            return
        }
        report.natRulesSeen = rules.ruleCount
        report.natRuleTools = rules.toolsDescription
        report.natRuleFindings = rules.findings
        for index in report.kubernetes.portRangeFindings.indices {
            let finding = report.kubernetes.portRangeFindings[index]
            // Per protocol: a rule keeps ports that protocol's own answer leaves out.
            let keeping =
                finding.exposures.isEmpty
                ? rules.protocolsKeeping(finding.outside, from: finding.pod.ip, policy: report.policy)
                : portProtocols.filter { proto in
                    finding.exposures.contains { exposure in
                        exposure.proto == proto
                            && rules.protocolsKeeping(exposure.outside, from: finding.pod.ip, policy: report.policy).contains(proto)
                    }
                }
            report.kubernetes.portRangeFindings[index].keepingProtocols = keeping
        }
    }
}
