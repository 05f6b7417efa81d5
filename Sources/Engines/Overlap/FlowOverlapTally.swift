public import Conntrack
public import Policy

/// audit's count of source-NATed pod flows (allowed, uncertain or violating)
/// whose translated source port is in the NodePort range or is a listening
/// socket's port for the same protocol and address. Built before the dump,
/// so each flow costs a range test and a set lookup.
public struct FlowOverlapTally: Hashable, Sendable {
    public let nodePortRange: PortRange
    /// (protocol, port) → the listeners on it.
    private let listenersByPort: [PortKey: [ListeningSocket]]
    public private(set) var nodePortFlows = 0
    public private(set) var listenerFlows = 0
    /// The first few overlapping flows, as evidence.
    public private(set) var examples: [Violation] = []
    /// Listeners a flow's translated port landed on.
    public private(set) var listenersHit = Set<ListeningSocket>()
    public static let exampleLimit = 5

    struct PortKey: Hashable, Sendable {
        var proto: IPProtocol
        var port: UInt16
    }

    public init(nodePortRange: PortRange, listeners: [ListeningSocket]) {
        self.nodePortRange = nodePortRange
        listenersByPort = Dictionary(grouping: listeners) { PortKey(proto: $0.proto, port: $0.port) }
    }

    public var total: Int { nodePortFlows + listenerFlows }

    /// Counts `flow` (a source-NATed pod flow with ports) if it overlaps.
    public mutating func add(_ flow: Flow, ageSeconds: UInt64?, dataplane: Dataplane) {
        let port = flow.translatedSourcePort
        let onNodePort = nodePortRange.contains(port)
        var onListener = false
        if let listeners = listenersByPort[PortKey(proto: flow.original.proto, port: port)] {
            let address = flow.translatedSource
            for listener in listeners where listener.receives(address) {
                onListener = true
                listenersHit.insert(listener)
            }
        }
        guard onNodePort || onListener else { return }
        if onNodePort { nodePortFlows += 1 }
        if onListener { listenerFlows += 1 }
        if examples.count < Self.exampleLimit { examples.append(Violation(flow: flow, ageSeconds: ageSeconds, dataplane: dataplane)) }
    }
}

extension ListeningSocket {
    /// Whether packets to `address` reach this socket: it is bound to that
    /// address or to every address (`::` also takes IPv4 unless the socket is
    /// v6-only, which sock_diag does not say: counted as taking it).
    func receives(_ address: IPAddress) -> Bool {
        if self.address == address { return true }
        guard self.address.bytes.allSatisfy({ $0 == 0 }) else { return false }
        return self.address.family == .ipv6 || address.family == .ipv4
    }
}
