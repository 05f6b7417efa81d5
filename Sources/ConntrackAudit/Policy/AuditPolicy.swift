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
    /// The upstream firewall's own rules (`--firewall`), when given: then a
    /// flow's fate is the verdict of the rule that decides its replies, and
    /// `allowed` is only the ports every TCP/UDP reply gets through to.
    /// nil: `allowed` is the one rule (`--allow`, a profile).
    public private(set) var firewall: FirewallPolicy?

    public init(
        allowed: PortRangeSet = .defaultAllowed,
        podNetworks: [IPNetwork] = [],
        excludedDestinations: [IPNetwork] = []
    ) {
        self.allowed = allowed
        self.podNetworks = podNetworks
        self.excludedDestinations = excludedDestinations
    }

    /// A policy judged by firewall rules instead of a port range.
    public init(firewall: FirewallPolicy, podNetworks: [IPNetwork] = [], excludedDestinations: [IPNetwork] = []) {
        self.init(allowed: firewall.admittedForAll, podNetworks: podNetworks, excludedDestinations: excludedDestinations)
        self.firewall = firewall
    }

    /// The rules flows are judged by: the firewall's, or `allowed` as one rule.
    public var rules: FirewallPolicy { firewall ?? .allowList(allowed) }

    /// Whether the upstream firewall lets this flow's replies in, and which
    /// rule decided. Only for flows with ports (see `classify`).
    public func decide(_ flow: Flow) -> FirewallDecision {
        rules.decide(flow)
    }

    /// Whether a flow's original source is a pod (any source when no pod
    /// network is configured) and its destination is not excluded.
    public func isInScope(_ flow: Flow) -> Bool {
        if !podNetworks.isEmpty && !podNetworks.contains(where: { $0.contains(flow.original.source) }) {
            return false
        }
        return !excludedDestinations.contains { $0.contains(flow.original.destination) }
    }

    /// Sorts one flow into exactly one class.
    public func classify(_ flow: Flow) -> FlowClass {
        guard flow.isSourceNATed else { return .notSourceNATed }
        guard isInScope(flow) else { return .outOfScope }
        guard flow.proto.carriesPorts else { return .withoutPorts }
        let remapped = flow.isPortRemapped
        // --allow alone: one range check (the one-rule firewall, decided without building it).
        let admitted = firewall.map { $0.admits(flow) } ?? allowed.contains(flow.translatedSourcePort)
        return admitted
            ? .allowed(remapped: remapped)
            : .violation(remapped: remapped)
    }
}
