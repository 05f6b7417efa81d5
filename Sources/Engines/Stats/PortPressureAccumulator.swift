public import Conntrack
public import Policy

/// Folds a table dump into port pressure per (translated address,
/// destination, destination port, protocol).
///
/// Every entry with ports is grouped by its reply tuple's (destination
/// address, source address, source port, protocol) because they all compete
/// for the same ports; only groups that hold at least one in-scope
/// source-NATed flow are reported. Memory grows with distinct groups, not
/// with entries.
public struct PortPressureAccumulator: Sendable {
    public let policy: AuditPolicy

    private struct Key: Hashable, Sendable {
        var translated: IPAddress
        var destination: IPAddress
        var destinationPort: UInt16
        var proto: IPProtocol
    }

    private var groups: [Key: PortPressure] = [:]
    public private(set) var flowsRead = 0
    public private(set) var snat = 0

    private let allowedPorts: Int

    public init(policy: AuditPolicy) {
        self.policy = policy
        self.allowedPorts = policy.allowed.count
    }

    public mutating func add(_ flow: Flow) {
        flowsRead += 1
        guard flow.proto.carriesPorts else { return }
        let reply = flow.reply
        let key = Key(
            translated: reply.destination, destination: reply.source,
            destinationPort: reply.sourcePort, proto: flow.proto)
        let allowedPorts = self.allowedPorts
        // One in-place update: the default is built only for a new group.
        let isSNAT = Self.fold(
            flow, policy: policy,
            into: &groups[
                key,
                default: PortPressure(
                    translated: key.translated, destination: key.destination, destinationPort: key.destinationPort,
                    proto: key.proto, allowedPorts: allowedPorts)])
        if isSNAT { snat += 1 }
    }

    /// Counts one flow into its group; returns whether it is an in-scope source-NATed flow.
    private static func fold(_ flow: Flow, policy: AuditPolicy, into group: inout PortPressure) -> Bool {
        group.portsInUse += 1
        if policy.allowed.contains(flow.translatedSourcePort) { group.portsInAllowed += 1 }
        switch policy.classify(flow) {
        case .allowed(let remapped), .uncertain(let remapped):
            group.snat += 1
            if remapped { group.remapped += 1 }
            return true
        case .violation(let remapped):
            group.snat += 1
            group.violations += 1
            if remapped { group.remapped += 1 }
            return true
        case .notSourceNATed, .outOfScope, .nodeLocal, .withoutPorts:
            return false
        }
    }

    /// Groups with at least one in-scope source-NATed flow, most pressed first.
    public func pressures() -> [PortPressure] {
        groups.values.filter { $0.snat > 0 }.sorted(by: PortPressure.mostPressedFirst)
    }
}
