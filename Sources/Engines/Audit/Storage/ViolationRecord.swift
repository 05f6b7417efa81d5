internal import Conntrack
import NodeState
import Policy

/// A violation as a report keeps it: 64 bytes, no heap. A `Violation` is
/// ~200 bytes (four inline 128-bit addresses, optionals); a node with 50 000
/// violations kept them in 10 MB plus the array's growth. Here IPv4
/// addresses sit inline and IPv6 ones are interned in the list's address
/// table (a pod talks to few peers through few node addresses).
///
/// What does not fit (an ICMP key next to ports, an age past 136 years) is
/// kept as a whole `Violation` on the side, so the round trip is exact.
struct ViolationRecord: Sendable {
    /// Original source, original destination, reply source, reply
    /// destination: the IPv4 address itself, or an index into the IPv6 table.
    var addresses: (UInt32, UInt32, UInt32, UInt32)
    /// Original source/destination port, reply source/destination port; for
    /// ICMP the tuple's id, and type << 8 | code.
    var ports: (UInt16, UInt16, UInt16, UInt16)
    /// CTA_ID, or the side table's index when `.spilled`.
    var id: UInt32
    var status: UInt32
    var timeout: UInt32
    var mark: UInt32
    var startedAtNanoseconds: UInt64
    var ageSeconds: UInt32
    var zone: UInt16
    var originalZone: UInt16
    var replyZone: UInt16
    var flags: Flags
    var proto: UInt8
    var dataplane: UInt8
    /// 0: none; 1 TCP, 2 SCTP, 3 DCCP (`ProtocolState`).
    var stateKind: UInt8
    var stateValue: UInt8

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt16
        static let ipv6 = Flags(rawValue: 1 << 0)
        static let hasID = Flags(rawValue: 1 << 1)
        static let hasTimeout = Flags(rawValue: 1 << 2)
        static let hasStart = Flags(rawValue: 1 << 3)
        static let hasAge = Flags(rawValue: 1 << 4)
        static let hasOriginalZone = Flags(rawValue: 1 << 5)
        static let hasReplyZone = Flags(rawValue: 1 << 6)
        static let originalICMP = Flags(rawValue: 1 << 7)
        static let replyICMP = Flags(rawValue: 1 << 8)
        /// The violation lives whole in the side table; `id` is its index.
        static let spilled = Flags(rawValue: 1 << 9)
    }

    static let dataplanes = Dataplane.allCases

    /// A record pointing at a violation kept whole: every reader of a
    /// spilled record goes to the side table, so nothing else is copied.
    init(spilled index: Int) {
        addresses = (0, 0, 0, 0)
        ports = (0, 0, 0, 0)
        id = UInt32(index)
        status = 0
        timeout = 0
        mark = 0
        startedAtNanoseconds = 0
        ageSeconds = 0
        zone = 0
        originalZone = 0
        replyZone = 0
        flags = .spilled
        proto = 0
        dataplane = 0
        stateKind = 0
        stateValue = 0
    }

    /// Packs `violation`, interning IPv6 addresses in `table`; nil when it
    /// does not fit (the caller keeps it whole).
    init?(_ violation: Violation, table: inout IPv6AddressTable) {
        let flow = violation.flow
        var flags: Flags = []
        if flow.family == .ipv6 { flags.insert(.ipv6) }
        let family = flow.family
        guard flow.original.source.family == family, flow.original.destination.family == family,
            flow.reply.source.family == family, flow.reply.destination.family == family
        else { return nil }
        func slot(_ address: IPAddress) -> UInt32 {
            address.family == .ipv4 ? UInt32(truncatingIfNeeded: address.low) : table.index(of: address)
        }
        addresses = (
            slot(flow.original.source), slot(flow.original.destination),
            slot(flow.reply.source), slot(flow.reply.destination)
        )
        func key(_ tuple: Tuple, icmpFlag: Flags) -> (UInt16, UInt16)? {
            guard let icmp = tuple.icmp else { return (tuple.sourcePort, tuple.destinationPort) }
            guard tuple.sourcePort == 0, tuple.destinationPort == 0 else { return nil }
            flags.insert(icmpFlag)
            return (icmp.id, UInt16(icmp.type) << 8 | UInt16(icmp.code))
        }
        guard let original = key(flow.original, icmpFlag: .originalICMP),
            let reply = key(flow.reply, icmpFlag: .replyICMP),
            flow.original.proto == flow.reply.proto
        else { return nil }
        ports = (original.0, original.1, reply.0, reply.1)
        id = flow.id ?? 0
        if flow.id != nil { flags.insert(.hasID) }
        status = flow.status.rawValue
        timeout = flow.timeout ?? 0
        if flow.timeout != nil { flags.insert(.hasTimeout) }
        mark = flow.mark
        startedAtNanoseconds = flow.startedAtNanoseconds ?? 0
        if flow.startedAtNanoseconds != nil { flags.insert(.hasStart) }
        if let age = violation.ageSeconds {
            guard let narrow = UInt32(exactly: age) else { return nil }
            ageSeconds = narrow
            flags.insert(.hasAge)
        } else {
            ageSeconds = 0
        }
        zone = flow.zone
        originalZone = flow.originalZone ?? 0
        if flow.originalZone != nil { flags.insert(.hasOriginalZone) }
        replyZone = flow.replyZone ?? 0
        if flow.replyZone != nil { flags.insert(.hasReplyZone) }
        proto = flow.proto.rawValue
        dataplane = UInt8(Self.dataplanes.firstIndex(of: violation.dataplane)!)
        switch flow.protocolState {
        case nil: (stateKind, stateValue) = (0, 0)
        case .tcp(let value): (stateKind, stateValue) = (1, value)
        case .sctp(let value): (stateKind, stateValue) = (2, value)
        case .dccp(let value): (stateKind, stateValue) = (3, value)
        }
        self.flags = flags
    }

    var isSpilled: Bool { flags.contains(.spilled) }
    var isUnreplied: Bool { status & FlowStatus.seenReply.rawValue == 0 }

    func address(_ slot: UInt32, in table: IPv6AddressTable) -> IPAddress {
        flags.contains(.ipv6) ? table[slot] : IPAddress(ipv4: slot)
    }

    /// What counts and groups read, without building the whole violation.
    func facts(in table: IPv6AddressTable) -> ViolationFacts {
        let proto = IPProtocol(rawValue: proto)
        let ports = flags.contains(.originalICMP) ? (UInt16(0), UInt16(0)) : (self.ports.0, self.ports.1)
        let translatedPort = flags.contains(.replyICMP) ? 0 : self.ports.3
        return ViolationFacts(
            source: address(addresses.0, in: table), destination: address(addresses.1, in: table),
            destinationPort: ports.1, proto: proto, translatedPort: translatedPort,
            isUnreplied: isUnreplied, isRemapped: proto.carriesPorts && ports.0 != translatedPort,
            dataplane: Self.dataplanes[Int(dataplane)])
    }

    /// As `PackedViolationFacts.groupKey`: both addresses of a record share its family.
    var groupKey: (UInt64, UInt32) {
        let families: UInt32 = flags.contains(.ipv6) ? 0b11 : 0
        let destinationPort = flags.contains(.originalICMP) ? 0 : ports.1
        return (UInt64(addresses.0) << 32 | UInt64(addresses.1), UInt32(destinationPort) << 16 | UInt32(proto) << 8 | families)
    }

    /// What `Violation.worstFirst` compares.
    func worstFirstKey(in table: IPv6AddressTable) -> WorstFirstKey {
        let portless = flags.contains(.originalICMP)
        return WorstFirstKey(
            unreplied: isUnreplied, source: address(addresses.0, in: table), destination: address(addresses.1, in: table),
            destinationPort: portless ? 0 : ports.1, proto: proto, sourcePort: portless ? 0 : ports.0)
    }

    /// The violation, without its pod (the list attaches that).
    func violation(in table: IPv6AddressTable) -> Violation {
        let proto = IPProtocol(rawValue: proto)
        func tuple(_ source: UInt32, _ destination: UInt32, _ key: (UInt16, UInt16), icmp: Flags) -> Tuple {
            if flags.contains(icmp) {
                return Tuple(
                    source: address(source, in: table), destination: address(destination, in: table), proto: proto,
                    icmp: Tuple.ICMPKey(id: key.0, type: UInt8(key.1 >> 8), code: UInt8(key.1 & 0xff)))
            }
            return Tuple(
                source: address(source, in: table), destination: address(destination, in: table), proto: proto,
                sourcePort: key.0, destinationPort: key.1)
        }
        let state: ProtocolState? =
            switch stateKind {
            case 1: .tcp(stateValue)
            case 2: .sctp(stateValue)
            case 3: .dccp(stateValue)
            default: nil
            }
        var flow = Flow(
            id: flags.contains(.hasID) ? id : nil, family: flags.contains(.ipv6) ? .ipv6 : .ipv4,
            original: tuple(addresses.0, addresses.1, (ports.0, ports.1), icmp: .originalICMP),
            reply: tuple(addresses.2, addresses.3, (ports.2, ports.3), icmp: .replyICMP),
            status: FlowStatus(rawValue: status), protocolState: state,
            timeout: flags.contains(.hasTimeout) ? timeout : nil, mark: mark, zone: zone,
            startedAtNanoseconds: flags.contains(.hasStart) ? startedAtNanoseconds : nil)
        flow.originalZone = flags.contains(.hasOriginalZone) ? originalZone : nil
        flow.replyZone = flags.contains(.hasReplyZone) ? replyZone : nil
        return Violation(
            flow: flow, ageSeconds: flags.contains(.hasAge) ? UInt64(ageSeconds) : nil,
            dataplane: Self.dataplanes[Int(dataplane)])
    }
}
