public import Conntrack
public import Policy

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
    /// An audit counts them as violations arrive (`AuditReport.firewallDropTally`),
    /// so a report that keeps only its worst flows still counts every one.
    public static func group(_ report: AuditReport) -> [FirewallDrop] {
        guard let firewall = report.policy.firewall else { return [] }
        if let tally = report.firewallDropTally { return tally.drops }
        // Counting the list itself is right only when it holds every violation.
        precondition(report.violations.isComplete, "firewall drops of a list that kept only its worst flows: tally them while auditing")
        var tally = FirewallDropTally()
        for violation in report.violations { tally.add(violation, decision: firewall.decide(violation.flow)) }
        return tally.drops
    }

    /// `tcp/ipv4: 12 flow(s) (12 unreplied), translated ports 1024-32000`
    public var flowSummary: String {
        let ports = lowestPort == highestPort ? "\(lowestPort)" : "\(lowestPort)-\(highestPort)"
        // A drop `check` predicts from the rules: no flow seen yet.
        if flows == 0 { return "\(proto.name)/\(family) replies to translated ports \(ports) (what NAT can pick here)" }
        return "\(proto.name)/\(family): \(flows) flow(s) (\(unreplied) unreplied), translated ports \(ports)"
    }
}

extension AuditReport {
    /// The rule that decided a violation's fate, as the audit stored it;
    /// nil unless judged by `--firewall`. A violation built elsewhere (a
    /// test, a merged report) without one is decided here.
    public func firewallDecision(for violation: Violation) -> FirewallDecision? {
        guard let firewall = policy.firewall else { return nil }
        return violation.firewallDecision ?? firewall.decide(violation.flow)
    }

    public var firewallDrops: [FirewallDrop] { FirewallDrop.group(self) }

    /// Uncertain flows by the rule ctaudit cannot judge that decides them (counted while auditing).
    public var firewallUncertain: [FirewallDrop] { firewallUncertainTally?.drops ?? [] }
}
