import Conntrack
public import Policy

/// Violations counted by the firewall rule that drops them, as they arrive.
public struct FirewallDropTally: Sendable {
    private var order: [String] = []
    private var groups: [String: FirewallDrop] = [:]

    public init() {}

    public mutating func add(_ violation: Violation, decision: FirewallDecision) {
        let flow = violation.flow
        let key = "\(decision.origin ?? "")\u{0}\(decision.decidedBy)\u{0}\(flow.proto.rawValue)\u{0}\(flow.family)"
        if groups[key] == nil {
            order.append(key)
            groups[key] = FirewallDrop(
                decidedBy: decision.decidedBy, origin: decision.origin,
                proto: flow.proto, family: flow.family)
        }
        groups[key]!.flows += 1
        if violation.isUnreplied { groups[key]!.unreplied += 1 }
        groups[key]!.lowestPort = min(groups[key]!.lowestPort, violation.translatedPort)
        groups[key]!.highestPort = max(groups[key]!.highestPort, violation.translatedPort)
    }

    /// Most flows first; ties in the order the rules were first seen.
    public var drops: [FirewallDrop] {
        order.compactMap { groups[$0] }.enumerated()
            .sorted { ($0.element.flows, -$0.offset) > ($1.element.flows, -$1.offset) }.map(\.element)
    }
}
