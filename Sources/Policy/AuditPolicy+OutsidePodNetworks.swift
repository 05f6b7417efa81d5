public import Conntrack

extension AuditPolicy {
    /// For a flow `classify` calls out of scope: the class it would have if
    /// its source were a pod, when it comes from outside the pod networks and
    /// its replies cross the upstream firewall; nil when it is out of scope
    /// for another reason (an excluded destination) or never leaves the node
    /// (its peer is on this node). See `OutsidePodFlows`.
    public func classifyOutsidePodNetworks(_ flow: Flow) -> FlowClass? {
        guard flow.isSourceNATed, !auditsEverySource, !podNetworks.isEmpty,
            !podNetworks.contains(where: { $0.contains(flow.original.source) }),
            !excludedDestinations.contains(where: { $0.contains(flow.original.destination) })
        else { return nil }
        let wouldBe = auditingEverySource.classify(flow)
        switch wouldBe {
        case .allowed, .violation, .withoutPorts, .uncertain: return wouldBe
        case .nodeLocal, .notSourceNATed, .outOfScope: return nil
        }
    }
}
