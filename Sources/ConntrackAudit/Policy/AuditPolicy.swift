public import Conntrack

/// What counts as a violation: which flows are pod flows, which destinations
/// to ignore, and which translated source ports the upstream firewall allows.
public struct AuditPolicy: Hashable, Sendable {
    /// Translated source ports the upstream firewall lets replies back to.
    public var allowed: PortRangeSet
    /// Pod networks; empty means every source-NATed flow is audited.
    public var podNetworks: [IPNetwork]
    /// Destinations never audited (e.g. in-cluster or on-link peers).
    public var excludedDestinations: [IPNetwork]

    public init(
        allowed: PortRangeSet = .defaultAllowed,
        podNetworks: [IPNetwork] = [],
        excludedDestinations: [IPNetwork] = []
    ) {
        self.allowed = allowed
        self.podNetworks = podNetworks
        self.excludedDestinations = excludedDestinations
    }

    /// Whether a flow's original source is a pod (any source when no pod
    /// network is configured) and its destination is not excluded.
    public func isInScope(_ flow: Flow) -> Bool {
        if !podNetworks.isEmpty && !podNetworks.contains(where: { $0.contains(flow.original.source) }) {
            return false
        }
        return !excludedDestinations.contains { $0.contains(flow.original.destination) }
    }

    /// The same policy without pod networks: every source in scope (for
    /// dataplanes whose translations start from the node itself).
    public var auditingEverySource: AuditPolicy {
        var copy = self
        copy.podNetworks = []
        return copy
    }

    /// Sorts one flow into exactly one class.
    public func classify(_ flow: Flow) -> FlowClass {
        guard flow.isSourceNATed else { return .notSourceNATed }
        guard isInScope(flow) else { return .outOfScope }
        guard flow.proto.carriesPorts else { return .withoutPorts }
        let remapped = flow.isPortRemapped
        return allowed.contains(flow.translatedSourcePort)
            ? .allowed(remapped: remapped)
            : .violation(remapped: remapped)
    }
}
