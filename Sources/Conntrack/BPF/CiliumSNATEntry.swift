/// One decoded entry of Cilium's SNAT table.
///
/// Every translated connection has two entries: the egress one, keyed by the
/// packet as the pod sent it (`flags` TUPLE_F_OUT) and holding the translated
/// source address and port, and the reverse one (TUPLE_F_IN) keyed by the
/// reply and holding the pod's own address and port. Only egress entries
/// become flows; the reverse entry is what `reverseKey` finds.
public struct CiliumSNATEntry: Hashable, Sendable {
    public enum Direction: Hashable, Sendable { case egress, reverse }

    public var direction: Direction
    /// For an egress entry: original = as the pod sent it, reply = the server
    /// back to the translated address and port. Nil for a reverse entry.
    public var flow: Flow?
    /// For an egress entry: the key its reverse entry must have.
    public var reverseKey: [UInt8]?

    static let tupleIn: UInt8 = 1

    /// Decodes one key/value pair of `layout`; sizes must match exactly.
    public static func decode(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, layout: CiliumSNATLayout
    ) throws(DecodeError) -> CiliumSNATEntry {
        guard key.count == layout.keySize else {
            throw DecodeError.badAttributeLength(what: "cilium nat key", length: key.count)
        }
        guard value.count == layout.valueSize else {
            throw DecodeError.badAttributeLength(what: "cilium nat value", length: value.count)
        }
        let k = BPFEntryBytes(key, what: "cilium nat key")
        let v = BPFEntryBytes(value, what: "cilium nat value")
        let flags = try k.u8(layout.keyFlags)
        if flags & tupleIn != 0 { return CiliumSNATEntry(direction: .reverse, flow: nil, reverseKey: nil) }

        let family = layout.family
        let destination = try k.address(layout.keyDestination, family: family)
        let source = try k.address(layout.keySource, family: family)
        let destinationPort = try k.be16(layout.keyDestinationPort)
        let sourcePort = try k.be16(layout.keySourcePort)
        let proto = IPProtocol(rawValue: try k.u8(layout.keyNextHeader))
        let translatedAddress = try v.address(layout.valueAddress, family: family)
        let translatedPort = try v.be16(layout.valuePort)

        var original = Tuple(
            source: source, destination: destination, proto: proto,
            sourcePort: sourcePort, destinationPort: destinationPort)
        var reply = Tuple(
            source: destination, destination: translatedAddress, proto: proto,
            sourcePort: destinationPort, destinationPort: translatedPort)
        if !proto.carriesPorts {
            // ICMP echo: the identifier is in the source-port slot (dport 0).
            let request: UInt8 = family == .ipv4 ? 8 : 128
            original = Tuple(
                source: source, destination: destination, proto: proto,
                icmp: .init(id: sourcePort, type: request, code: 0))
            reply = Tuple(
                source: destination, destination: translatedAddress, proto: proto,
                icmp: .init(id: translatedPort, type: request &+ (family == .ipv4 ? 0 : 1), code: 0))
        }
        // Cilium's table says nothing about replies; a BPF flow is never
        // called unreplied (failing) on that evidence.
        var status: FlowStatus = [.confirmed, .seenReply]
        if translatedAddress != source || translatedPort != sourcePort { status.insert(.sourceNAT) }
        let flow = Flow(family: family, original: original, reply: reply, status: status)

        var reverse = [UInt8](repeating: 0, count: layout.keySize)
        reverse.replaceSubrange(
            layout.keyDestination..<layout.keyDestination + family.byteCount,
            with: translatedAddress.bytes)
        reverse.replaceSubrange(layout.keySource..<layout.keySource + family.byteCount, with: destination.bytes)
        reverse[layout.keyDestinationPort] = UInt8(translatedPort >> 8)
        reverse[layout.keyDestinationPort + 1] = UInt8(translatedPort & 0xff)
        reverse[layout.keySourcePort] = UInt8(destinationPort >> 8)
        reverse[layout.keySourcePort + 1] = UInt8(destinationPort & 0xff)
        reverse[layout.keyNextHeader] = proto.rawValue
        reverse[layout.keyFlags] = tupleIn
        return CiliumSNATEntry(direction: .egress, flow: flow, reverseKey: reverse)
    }
}
