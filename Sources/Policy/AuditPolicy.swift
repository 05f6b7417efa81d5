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
    /// Service (cluster IP) networks: a peer there never left the node.
    public var serviceNetworks: [IPNetwork]
    /// Addresses of the audited namespace itself (the node's own).
    public var localAddresses: Set<IPAddress>
    /// Every source in scope whatever `podNetworks` says (they still make a
    /// peer node-local): for dataplanes that translate the node's own
    /// connections (docs/DATAPLANES.md).
    public var auditsEverySource = false
    /// The upstream firewall's own rules (`--firewall`), when given: then a
    /// flow's fate is the verdict of the rule that decides its replies, and
    /// `allowed` is only the ports every TCP/UDP reply gets through to.
    /// nil: `allowed` is the one rule (`--allow`, a profile).
    public private(set) var firewall: FirewallPolicy?

    public init(
        allowed: PortRangeSet = .defaultAllowed,
        podNetworks: [IPNetwork] = [],
        excludedDestinations: [IPNetwork] = [],
        serviceNetworks: [IPNetwork] = [],
        localAddresses: Set<IPAddress> = []
    ) {
        self.allowed = allowed
        self.podNetworks = podNetworks
        self.excludedDestinations = excludedDestinations
        self.serviceNetworks = serviceNetworks
        self.localAddresses = localAddresses
    }

    /// A policy judged by firewall rules instead of a port range.
    public init(firewall: FirewallPolicy, podNetworks: [IPNetwork] = [], excludedDestinations: [IPNetwork] = [],
                serviceNetworks: [IPNetwork] = [], localAddresses: Set<IPAddress> = []) {
        self.init(allowed: firewall.admittedForAll, podNetworks: podNetworks, excludedDestinations: excludedDestinations,
                  serviceNetworks: serviceNetworks, localAddresses: localAddresses)
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
        if !auditsEverySource && !podNetworks.isEmpty && !podNetworks.contains(where: { $0.contains(flow.original.source) }) {
            return false
        }
        return !excludedDestinations.contains { $0.contains(flow.original.destination) }
    }

    /// Whether a flow's real peer is on this node, so that no packet of it
    /// crosses the upstream firewall. The peer is the reply tuple's source:
    /// after DNAT (a service VIP) that is the backend that really answers,
    /// which the original destination is not.
    public func isNodeLocal(_ flow: Flow) -> Bool {
        isNodeLocal(peer: flow.reply.source)
    }

    /// A pod, a known service network, an address of the audited namespace,
    /// or loopback (127.0.0.0/8, ::1).
    public func isNodeLocal(peer: IPAddress) -> Bool {
        if Self.loopback.contains(where: { $0.contains(peer) }) { return true }
        if localAddresses.contains(peer) { return true }
        return podNetworks.contains { $0.contains(peer) } || serviceNetworks.contains { $0.contains(peer) }
    }

    static let loopback = [IPNetwork(unchecked: IPAddress("127.0.0.0")!, prefixLength: 8),
                           IPNetwork(unchecked: IPAddress("::1")!, prefixLength: 128)]

    /// The same policy with every source in scope.
    public var auditingEverySource: AuditPolicy {
        var copy = self
        copy.auditsEverySource = true
        return copy
    }

    /// Sorts one flow into exactly one class.
    public func classify(_ flow: Flow) -> FlowClass {
        guard flow.isSourceNATed else { return .notSourceNATed }
        guard isInScope(flow) else { return .outOfScope }
        if isNodeLocal(flow) { return .nodeLocal(remapped: flow.isPortRemapped) }
        guard flow.proto.carriesPorts else { return .withoutPorts }
        let remapped = flow.isPortRemapped
        // --allow alone: one range check (the one-rule firewall, decided without building it).
        let admitted = firewall.map { $0.admits(flow) } ?? allowed.contains(flow.translatedSourcePort)
        return admitted
            ? .allowed(remapped: remapped)
            : .violation(remapped: remapped)
    }
}
