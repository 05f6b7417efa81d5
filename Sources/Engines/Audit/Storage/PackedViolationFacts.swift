internal import Conntrack

/// What counts, groups and remedies read of one violation, in 16 bytes: a
/// report that prints only aggregates and its worst flows keeps this for
/// every violation and the whole violation only for the flows it prints.
struct PackedViolationFacts: Sendable {
    /// The pod's address and the destination: the IPv4 address itself, or
    /// an index into the list's IPv6 table.
    var source: UInt32
    var destination: UInt32
    var destinationPort: UInt16
    var translatedPort: UInt16
    var proto: UInt8
    var flags: Flags
    var dataplane: UInt8

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let sourceIPv6 = Flags(rawValue: 1 << 0)
        static let destinationIPv6 = Flags(rawValue: 1 << 1)
        static let unreplied = Flags(rawValue: 1 << 2)
        static let remapped = Flags(rawValue: 1 << 3)
    }

    init(_ facts: ViolationFacts, table: inout IPv6AddressTable) {
        var flags: Flags = []
        func slot(_ address: IPAddress, v6: Flags) -> UInt32 {
            guard address.family == .ipv6 else { return UInt32(truncatingIfNeeded: address.low) }
            flags.insert(v6)
            return table.index(of: address)
        }
        source = slot(facts.source, v6: .sourceIPv6)
        destination = slot(facts.destination, v6: .destinationIPv6)
        destinationPort = facts.destinationPort
        translatedPort = facts.translatedPort
        proto = facts.proto.rawValue
        if facts.isUnreplied { flags.insert(.unreplied) }
        if facts.isRemapped { flags.insert(.remapped) }
        dataplane = UInt8(ViolationRecord.dataplanes.firstIndex(of: facts.dataplane)!)
        self.flags = flags
    }

    /// See `ViolationList.groupKey(at:)`.
    var groupKey: (UInt64, UInt32) {
        let families = UInt32(flags.intersection([.sourceIPv6, .destinationIPv6]).rawValue)
        return (UInt64(source) << 32 | UInt64(destination), UInt32(destinationPort) << 16 | UInt32(proto) << 8 | families)
    }

    func facts(in table: IPv6AddressTable) -> ViolationFacts {
        ViolationFacts(
            source: flags.contains(.sourceIPv6) ? table[source] : IPAddress(ipv4: source),
            destination: flags.contains(.destinationIPv6) ? table[destination] : IPAddress(ipv4: destination),
            destinationPort: destinationPort, proto: IPProtocol(rawValue: proto), translatedPort: translatedPort,
            isUnreplied: flags.contains(.unreplied), isRemapped: flags.contains(.remapped),
            dataplane: ViolationRecord.dataplanes[Int(dataplane)])
    }
}
