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
    public static func group(_ violations: ViolationList) -> [OffenderGroup] {
        var groups: [OffenderGroup] = []
        sweep(violations) { groups.append($0) }
        groups.sort { $0.isWorse(than: $1) }
        return groups
    }

    /// The worst `limit` groups (the first `limit` of `group(_:)`) and how
    /// many groups there are, holding no more than `limit` groups: a node
    /// where every violation is its own group would otherwise hold them all.
    public static func worst(_ violations: ViolationList, limit: Int) -> (groups: [OffenderGroup], count: Int) {
        var kept: [OffenderGroup] = []
        var count = 0
        sweep(violations) { group in
            count += 1
            guard limit > 0 else { return }
            if kept.count == limit {
                guard group.isWorse(than: kept[limit - 1]) else { return }
                kept.removeLast()
            }
            let position = kept.firstIndex { group.isWorse(than: $0) } ?? kept.count
            kept.insert(group, at: position)
        }
        return (kept, count)
    }

    /// The order of `group(_:)`: a total order, the key being unique per group.
    func isWorse(than other: OffenderGroup) -> Bool {
        if unreplied != other.unreplied { return unreplied > other.unreplied }
        if violations != other.violations { return violations > other.violations }
        return (podSource, destination, destinationPort, proto.rawValue)
            < (other.podSource, other.destination, other.destinationPort, other.proto.rawValue)
    }

    /// Builds each group once. Sorts the packed group keys (with each
    /// violation's index, which keeps equal keys in arrival order) and sweeps
    /// the runs: memory is 16 bytes per violation plus a group, where a hash
    /// table of groups cost about 10 MB at 30 000 violations. The keys sit in
    /// the sorted array itself, not read through the list at every comparison.
    private static func sweep(_ violations: ViolationList, _ body: (OffenderGroup) -> Void) {
        var keyed: [(key: (UInt64, UInt32), index: Int32)] = []
        keyed.reserveCapacity(violations.total)
        for index in 0..<violations.total { keyed.append((violations.groupKey(at: index), Int32(index))) }
        keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.index < $1.index }
        var ports: [UInt16] = []
        var start = 0
        while start < keyed.count {
            let first = violations.facts(at: Int(keyed[start].index))
            var group = OffenderGroup(
                podSource: first.source, destination: first.destination,
                destinationPort: first.destinationPort, proto: first.proto)
            let groupKey = keyed[start].key
            ports.removeAll(keepingCapacity: true)
            var end = start
            while end < keyed.count, end == start || keyed[end].key == groupKey {
                let violation = violations.facts(at: Int(keyed[end].index))
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
            body(group)
            start = end
        }
    }
}
