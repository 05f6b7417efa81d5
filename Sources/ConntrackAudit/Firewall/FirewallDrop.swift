public import Conntrack

/// The violations one firewall rule (or default) drops: which rule, which
/// protocols, how many flows and which translated ports, for "which rule
/// drops which flows" in every report format.
public struct FirewallDrop: Hashable, Sendable {
    public var decidedBy: String
    /// The file whose rule decided.
    public var origin: String?
    public var proto: IPProtocol
    public var family: IPAddress.Family
    public var flows = 0
    public var unreplied = 0
    public var lowestPort: UInt16 = .max
    public var highestPort: UInt16 = 0

    /// Groups a report's violations by deciding rule, protocol and family,
    /// most flows first. Empty unless the report was judged by `--firewall`.
    public static func group(_ report: AuditReport) -> [FirewallDrop] {
        guard let firewall = report.policy.firewall else { return [] }
        var order: [String] = []
        var groups: [String: FirewallDrop] = [:]
        for violation in report.violations {
            let decision = firewall.decide(violation.flow)
            let key = "\(decision.origin ?? "")\u{0}\(decision.decidedBy)\u{0}\(violation.flow.proto.rawValue)\u{0}\(violation.flow.family)"
            if groups[key] == nil {
                order.append(key)
                groups[key] = FirewallDrop(decidedBy: decision.decidedBy, origin: decision.origin,
                                           proto: violation.flow.proto, family: violation.flow.family)
            }
            groups[key]!.flows += 1
            if violation.isUnreplied { groups[key]!.unreplied += 1 }
            groups[key]!.lowestPort = min(groups[key]!.lowestPort, violation.translatedPort)
            groups[key]!.highestPort = max(groups[key]!.highestPort, violation.translatedPort)
        }
        return order.compactMap { groups[$0] }.enumerated()
            .sorted { ($0.element.flows, -$0.offset) > ($1.element.flows, -$1.offset) }.map(\.element)
    }

    /// `tcp/ipv4: 12 flow(s) (12 unreplied), translated ports 1024-32000`
    public var flowSummary: String {
        let ports = lowestPort == highestPort ? "\(lowestPort)" : "\(lowestPort)-\(highestPort)"
        return "\(proto.name)/\(family): \(flows) flow(s) (\(unreplied) unreplied), translated ports \(ports)"
    }
}

extension AuditReport {
    /// The rule that decided a violation's fate; nil unless judged by `--firewall`.
    public func firewallDecision(for violation: Violation) -> FirewallDecision? {
        policy.firewall?.decide(violation.flow)
    }

    public var firewallDrops: [FirewallDrop] { FirewallDrop.group(self) }
}
