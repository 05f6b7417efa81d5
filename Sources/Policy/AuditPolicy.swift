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
    /// The node's translated source addresses (from the audited flows, or
    /// its SNAT rules): the addresses the firewall is asked about, since a
    /// gateway's rules may treat its nodes differently. Empty: not known
    /// (the firewall is then asked for every address it distinguishes).
    public var nodeAddresses: [IPAddress] = []

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
    public init(
        firewall: FirewallPolicy, podNetworks: [IPNetwork] = [], excludedDestinations: [IPNetwork] = [],
        serviceNetworks: [IPNetwork] = [], localAddresses: Set<IPAddress> = []
    ) {
        self.init(
            allowed: firewall.admittedForAll, podNetworks: podNetworks, excludedDestinations: excludedDestinations,
            serviceNetworks: serviceNetworks, localAddresses: localAddresses)
        self.firewall = firewall
    }

    /// What replies of `proto` in `family` get through to, for the node's
    /// address(es): the firewall asked as a program, or `allowed` for every
    /// protocol and peer. With several node addresses that the firewall
    /// treats differently, the worst of them.
    public func admission(_ proto: IPProtocol, family: IPAddress.Family) -> ReplyAdmission {
        guard let firewall else { return .uniform(allowed, proto: proto, family: family) }
        let answers = firewall.admissions(proto, family: family, nodes: nodeAddresses)
        guard answers.count > 1, Set(answers.map(\.groups)).count > 1 else { return answers[0] }
        var worst = ReplyAdmission(proto: proto, family: family, groups: FirewallPolicy.worst(answers.map(\.groups)))
        worst.byNode = answers.map { .init(nodes: $0.node?.description ?? "other addresses", groups: $0.groups) }
        return worst
    }

    /// Every port-carrying protocol in both families, asked once: what a
    /// report's summaries, pod findings and remedies read.
    public var admissions: ReplyAdmissionTable { ReplyAdmissionTable(self) }

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

    static let loopback = [
        IPNetwork(unchecked: IPAddress("127.0.0.0")!, prefixLength: 8),
        IPNetwork(unchecked: IPAddress("::1")!, prefixLength: 128),
    ]

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
        guard let firewall else {
            return allowed.contains(flow.translatedSourcePort) ? .allowed(remapped: remapped) : .violation(remapped: remapped)
        }
        switch firewall.outcome(flow) {
        case .accepted: return .allowed(remapped: remapped)
        case .dropped: return .violation(remapped: remapped)
        case .uncertain: return .uncertain(remapped: remapped)
        }
    }
}
