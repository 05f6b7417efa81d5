public import Conntrack
public import NodeState
public import Policy

/// A pod whose own `net.ipv4.ip_local_port_range` reaches outside the ports
/// the upstream firewall allows: masquerade keeps a pod's port when it can,
/// so its connections from those ports fail without any NAT clash.
///
/// The firewall is asked per protocol and family (and for the node's
/// address): a pod can be fine for TCP and blocked for UDP, or reach UDP
/// servers only on port 53. Each such answer is one `Exposure`.
public struct PodPortRangeFinding: Hashable, Sendable {
    /// What one protocol's replies in one family do to the pod's range.
    public struct Exposure: Hashable, Sendable {
        public var proto: IPProtocol
        public var family: IPAddress.Family
        /// The part of the range not admitted for every peer.
        public var outside: PortRangeSet
        /// The part no peer's replies get through to, for certain.
        public var blocked: PortRangeSet
        /// The part where a firewall rule ctaudit cannot judge decides.
        public var uncertain: PortRangeSet
        /// When the peer decides (`UDP/ipv4 replies admitted only from source port 53 (0-65535)`).
        public var peers: String?
        /// The firewall admits this protocol's replies on no port at all: not
        /// the range's doing (no port range fixes it).
        public var closed = false

        public init(
            proto: IPProtocol, family: IPAddress.Family, outside: PortRangeSet, blocked: PortRangeSet,
            uncertain: PortRangeSet = .empty, peers: String? = nil
        ) {
            self.proto = proto
            self.family = family
            self.outside = outside
            self.blocked = blocked
            self.uncertain = uncertain
            self.peers = peers
        }

        /// How the text names it: `blocked 1024-2047 (100%)`, or the sentence when the peer decides.
        public func words(range: PortRange) -> String {
            if closed { return "the firewall admits their replies on no port" }
            var text = blocked.isEmpty ? "" : "blocked \(blocked) (\(Int((Double(blocked.count) / Double(range.count) * 100).rounded()))%)"
            if let peers { text += (text.isEmpty ? "" : ", ") + peers }
            if !uncertain.isEmpty { text += (text.isEmpty ? "" : ", ") + "uncertain \(uncertain) (a rule ctaudit cannot judge decides)" }
            return text.isEmpty ? "outside \(outside)" : text
        }
    }

    public var pod: PodIdentity
    public var range: PortRange
    /// The part of the range the firewall does not allow for every peer, in
    /// any protocol and family (`outside_allowed` in JSON).
    public var outside: PortRangeSet
    /// Per protocol and family, the answers that leave part of the range out.
    public var exposures: [Exposure] = []
    /// Violations in this audit that kept this pod's own port.
    public var keptPortViolations = 0
    /// Protocols of the pod's egress traffic that reach a NAT rule able to
    /// keep one of the ports that protocol leaves out; nil when the rules
    /// were not read. Empty: every rule it reaches pins or randomizes the
    /// port, so the pod's own range has no effect on the firewall.
    public var keepingProtocols: [IPProtocol]?

    public init(pod: PodIdentity, range: PortRange, outside: PortRangeSet) {
        self.pod = pod
        self.range = range
        self.outside = outside
    }

    /// One finding from the firewall's answers for the pod's families.
    public init(pod: PodIdentity, range: PortRange, exposures: [Exposure]) {
        self.init(pod: pod, range: range, outside: exposures.reduce(PortRangeSet.empty) { $0.union($1.outside) })
        self.exposures = exposures
    }

    /// The exposures of protocols that matter: kept by a NAT rule (or, rules unread, TCP and UDP).
    public var relevantExposures: [Exposure] {
        guard let keepingProtocols else { return exposures.filter { $0.proto == .tcp || $0.proto == .udp } }
        return exposures.filter { keepingProtocols.contains($0.proto) }
    }

    /// Whether the range matters for TCP or UDP (or, rules unread, may).
    public var isBlocking: Bool {
        guard let keepingProtocols else { return exposures.isEmpty || exposures.contains { $0.proto == .tcp || $0.proto == .udp } }
        return keepingProtocols.contains(.tcp) || keepingProtocols.contains(.udp)
    }

    /// Some protocol that matters refuses part of the range because of the
    /// port itself (not a protocol the firewall closes, not a peer rule):
    /// what a pod's port range changes.
    public var isBlockedByRange: Bool {
        if exposures.isEmpty { return isBlocking }
        return relevantExposures.contains { !$0.closed && !$0.blocked.isEmpty }
    }

    /// Nothing of the range is known to be refused for the protocols that
    /// matter: only rules ctaudit cannot judge decide it.
    public var isOnlyUncertain: Bool {
        let relevant = relevantExposures
        return !exposures.isEmpty && !relevant.isEmpty
            && relevant.allSatisfy { $0.blocked.isEmpty && $0.peers == nil && !$0.uncertain.isEmpty && $0.outside == $0.uncertain }
    }

    /// Every port of the range is blocked, for every peer and for certain,
    /// in TCP or UDP, and a rule keeps it: each connection the pod makes
    /// through that rule in that protocol fails. A protocol the firewall
    /// admits from some peers only, or where a rule ctaudit cannot judge
    /// decides, does not count.
    public var failsEveryConnection: Bool {
        guard isBlocking else { return false }
        if exposures.isEmpty { return outside.count == range.count }
        return relevantExposures.contains { ($0.proto == .tcp || $0.proto == .udp) && $0.blocked.count == range.count }
    }

    /// Share of the pod's ephemeral ports that the firewall blocks for
    /// certain in the worst relevant protocol, 0...1.
    public var blockedShare: Double {
        let worst = relevantExposures.map(\.blocked.count).max() ?? (exposures.isEmpty ? outside.count : 0)
        return Double(worst) / Double(range.count)
    }
}
