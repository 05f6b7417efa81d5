public import Conntrack

/// Violations of one pod to one destination service, for the "who is
/// affected" view of a report.
public struct OffenderGroup: Hashable, Sendable {
    public var podSource: IPAddress
    public var destination: IPAddress
    public var destinationPort: UInt16
    public var proto: IPProtocol
    public var violations = 0
    public var unreplied = 0
    public var remapped = 0
    /// Translated source ports seen, ascending, without repeats.
    public var translatedPorts: [UInt16] = []

    public init(podSource: IPAddress, destination: IPAddress, destinationPort: UInt16, proto: IPProtocol) {
        self.podSource = podSource
        self.destination = destination
        self.destinationPort = destinationPort
        self.proto = proto
    }

    /// Groups violations by (pod, destination, port, protocol), worst first:
    /// most unreplied, then most violations.
    ///
    /// Sorts indices by the group key and sweeps the runs: memory is one index
    /// per violation plus the groups themselves, where a hash table of groups
    /// cost about 10 MB at 30 000 violations.
    public static func group(_ violations: ViolationList) -> [OffenderGroup] {
        func key(_ index: Int) -> (IPAddress, IPAddress, UInt16, UInt8) {
            let facts = violations.facts(at: index)
            return (facts.source, facts.destination, facts.destinationPort, facts.proto.rawValue)
        }
        var order = Array(violations.indices)
        order.sort { key($0) < key($1) }
        var groups: [OffenderGroup] = []
        var ports: [UInt16] = []
        var start = 0
        while start < order.count {
            let first = violations.facts(at: order[start])
            var group = OffenderGroup(
                podSource: first.source, destination: first.destination,
                destinationPort: first.destinationPort, proto: first.proto)
            let groupKey = key(order[start])
            ports.removeAll(keepingCapacity: true)
            var end = start
            while end < order.count, end == start || key(order[end]) == groupKey {
                let violation = violations.facts(at: order[end])
                group.violations += 1
                if violation.isUnreplied { group.unreplied += 1 }
                if violation.isRemapped { group.remapped += 1 }
                ports.append(violation.translatedPort)
                end += 1
            }
            ports.sort()
            var unique: [UInt16] = []
            unique.reserveCapacity(ports.count)
            for port in ports where unique.last != port { unique.append(port) }
            group.translatedPorts = unique
            groups.append(group)
            start = end
        }
        groups.sort { a, b in
            if a.unreplied != b.unreplied { return a.unreplied > b.unreplied }
            if a.violations != b.violations { return a.violations > b.violations }
            return (a.podSource, a.destination, a.destinationPort, a.proto.rawValue)
                < (b.podSource, b.destination, b.destinationPort, b.proto.rawValue)
        }
        return groups
    }
}
