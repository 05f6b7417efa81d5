public import Conntrack
public import NodeState
public import Policy

/// Where the ports NAT gives pod traffic meet ports the node itself serves:
/// the Kubernetes NodePort range (kube-proxy DNATs every one of those ports
/// on every node) and the namespace's listening sockets. A flow translated
/// onto such a port shares it with a Service or a server: its replies can be
/// taken for new connections to it (NodePort DNAT, Cilium's BPF NodePort),
/// and a Service's connections can clash with it. Its own finding: never a
/// firewall violation, and it does not change a verdict or exit status
/// (docs/AUDIT.md, docs/CHECK.md).
public struct PortOverlap: Hashable, Sendable {
    public var nodePortRange: ServiceNodePortRange
    /// The namespace's receiving sockets not bound to loopback only (nil:
    /// not read: offline, or `listenersError`).
    public var listeners: [ListeningSocket]?
    /// Why the listening sockets could not be read.
    public var listenersError: String?
    /// check (and audit when it read the NAT rules): rules whose possible
    /// translated ports overlap.
    public var rules: [RuleOverlap] = []
    /// audit: the flows whose translated port overlaps, when flows were judged.
    public var flows: FlowOverlapTally?

    public init(nodePortRange: ServiceNodePortRange, listeners: [ListeningSocket]?, listenersError: String? = nil) {
        self.nodePortRange = nodePortRange
        self.listeners = listeners?.filter { !$0.isLoopbackOnly }
        self.listenersError = listenersError
    }

    /// Reads the listening sockets of `namespace` (nil: ctaudit's own);
    /// a failure is recorded, never thrown: the overlap is extra evidence.
    public static func reading(nodePortRange: ServiceNodePortRange, namespace: NetworkNamespace?) -> PortOverlap {
        do {
            return PortOverlap(nodePortRange: nodePortRange, listeners: try ListeningSocketReader.read(namespace: namespace))
        } catch {
            return PortOverlap(nodePortRange: nodePortRange, listeners: nil, listenersError: "\(error)")
        }
    }

    /// Anything found: a rule or a flow on a NodePort or a listener's port.
    public var hasFindings: Bool { !rules.isEmpty || (flows.map { $0.total > 0 } ?? false) }

    /// The listeners' ports of one protocol.
    public func listenerPorts(_ proto: IPProtocol) -> PortRangeSet {
        PortRangeSet((listeners ?? []).filter { $0.proto == proto }.compactMap { PortRange(low: $0.port, high: $0.port) })
    }

    /// Judges the rules as `check` predicted them: the ports each in-scope
    /// rule can give TCP/UDP flows, against the NodePort range and the
    /// listeners of the protocols that reach it.
    public mutating func judge(_ findings: [RuleFinding]) {
        rules = findings.filter(\.inScope).compactMap { finding in
            let possible = finding.predictions.reduce(PortRangeSet.empty) { $0.union($1.possiblePorts) }
            guard !possible.isEmpty else { return nil }
            let nodePorts = possible.intersection(PortRangeSet(nodePortRange.range))
            let protocols = finding.effectiveProtocols.portCarryingProtocols
            let hit = (listeners ?? []).filter { protocols.contains($0.proto) && possible.contains($0.port) }
            guard !nodePorts.isEmpty || !hit.isEmpty else { return nil }
            return RuleOverlap(rule: finding.rule, possiblePorts: possible, nodePorts: nodePorts, listeners: hit)
        }
    }

    /// The one-line summary text and JSON share.
    public var summary: String {
        var parts: [String] = []
        if let flows, flows.total > 0 {
            if flows.nodePortFlows > 0 {
                parts.append("\(flows.nodePortFlows) flow(s) translated onto the NodePort range \(nodePortRange.range)")
            }
            if flows.listenerFlows > 0 { parts.append("\(flows.listenerFlows) flow(s) translated onto a port the node listens on") }
        }
        for rule in rules {
            var what: [String] = []
            if !rule.nodePorts.isEmpty { what.append("NodePorts \(rule.nodePorts)") }
            if !rule.listeners.isEmpty { what.append("listening port(s) " + rule.listenerPortWords) }
            parts.append("\(rule.rule.location) can translate onto " + what.joined(separator: " and "))
        }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }
}

/// One NAT rule whose possible translated ports overlap.
public struct RuleOverlap: Hashable, Sendable {
    public var rule: NATRule
    /// Every port the rule can give (check's prediction).
    public var possiblePorts: PortRangeSet
    /// Of those, the NodePort range's.
    public var nodePorts: PortRangeSet
    /// Listening sockets whose port (and protocol) the rule can give.
    public var listeners: [ListeningSocket]

    public init(rule: NATRule, possiblePorts: PortRangeSet, nodePorts: PortRangeSet, listeners: [ListeningSocket]) {
        self.rule = rule
        self.possiblePorts = possiblePorts
        self.nodePorts = nodePorts
        self.listeners = listeners
    }

    /// `tcp 22, udp 53` (each protocol and port once).
    public var listenerPortWords: String {
        var seen = Set<String>()
        return listeners.map { "\($0.proto.name) \($0.port)" }.filter { seen.insert($0).inserted }.joined(separator: ", ")
    }
}
