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

    private mutating func record(_ violation: Violation) {
        violations += 1
        if violation.isUnreplied { unreplied += 1 }
        if violation.isRemapped { remapped += 1 }
        translatedPorts.append(violation.translatedPort)
    }

    /// Groups violations by (pod, destination, port, protocol), worst first:
    /// most unreplied, then most violations.
    public static func group(_ violations: [Violation]) -> [OffenderGroup] {
        struct Key: Hashable {
            var pod: IPAddress, destination: IPAddress, port: UInt16, proto: IPProtocol
        }
        var groups: [Key: OffenderGroup] = [:]
        for violation in violations {
            let flow = violation.flow
            let key = Key(pod: flow.original.source, destination: flow.original.destination,
                          port: flow.original.destinationPort, proto: flow.proto)
            // Mutate in place: copying the group out and back would copy its
            // port list every time (quadratic on a node with many violations).
            groups[key, default: OffenderGroup(
                podSource: key.pod, destination: key.destination, destinationPort: key.port, proto: key.proto)
            ].record(violation)
        }
        return groups.values.map { group in
            var group = group
            group.translatedPorts = Array(Set(group.translatedPorts)).sorted()
            return group
        }.sorted { a, b in
            if a.unreplied != b.unreplied { return a.unreplied > b.unreplied }
            if a.violations != b.violations { return a.violations > b.violations }
            return (a.podSource, a.destination, a.destinationPort, a.proto.rawValue)
                < (b.podSource, b.destination, b.destinationPort, b.proto.rawValue)
        }
    }
}
