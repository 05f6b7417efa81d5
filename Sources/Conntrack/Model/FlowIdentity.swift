/// Which conntrack entry a message is about.
///
/// `CTA_ID` alone is not an entry's identity: since Linux 5.0 it is a 32-bit
/// keyed hash of the entry (`nf_ct_get_id`), so among n entries about
/// n²/2³³ pairs share one (~0.3 among 50 000, ~29 among 500 000). Two
/// messages describe the same entry only when the id, the original tuple and
/// the zone all match; the original tuple never changes during an entry's
/// life, so this holds from its NEW event to its DESTROY.
///
/// Held in 48 bytes (no heap), so that watch can key every live source-NATed
/// flow by it and a dump can remember a datagram's worth cheaply. ICMP flows
/// have no ports: their id, type and code take the ports' place, as they do
/// in the kernel's tuple.
public struct FlowIdentity: Hashable, Sendable, CustomStringConvertible {
    public let id: UInt32?
    private let sourceHigh: UInt64
    private let sourceLow: UInt64
    private let destinationHigh: UInt64
    private let destinationLow: UInt64
    private let sourceKey: UInt16
    private let destinationKey: UInt16
    public let zone: UInt16
    private let proto: UInt8
    private let family: UInt8

    public init(id: UInt32?, original: Tuple, zone: UInt16) {
        self.id = id
        self.zone = zone
        sourceHigh = original.source.high
        sourceLow = original.source.low
        destinationHigh = original.destination.high
        destinationLow = original.destination.low
        proto = original.proto.rawValue
        family = original.source.family.rawValue
        if let icmp = original.icmp {
            sourceKey = icmp.id
            destinationKey = UInt16(icmp.type) << 8 | UInt16(icmp.code)
        } else {
            sourceKey = original.sourcePort
            destinationKey = original.destinationPort
        }
    }

    public var description: String {
        func address(_ high: UInt64, _ low: UInt64) -> IPAddress {
            family == IPAddress.Family.ipv6.rawValue
                ? IPAddress(ipv6High: high, low: low) : IPAddress(ipv4: UInt32(truncatingIfNeeded: low))
        }
        return "id \(id.map(String.init) ?? "none") proto \(proto) zone \(zone) "
            + "\(address(sourceHigh, sourceLow)).\(sourceKey) -> \(address(destinationHigh, destinationLow)).\(destinationKey)"
    }
}

extension Flow {
    /// The entry this flow is: CTA_ID, original tuple and zone (see `FlowIdentity`).
    /// The zone is the original direction's (`--zone-orig`, else the zone of
    /// both directions): the kernel keys the original tuple by it, so two
    /// live entries never share all three.
    public var identity: FlowIdentity { FlowIdentity(id: id, original: original, zone: originalZone ?? zone) }
}
