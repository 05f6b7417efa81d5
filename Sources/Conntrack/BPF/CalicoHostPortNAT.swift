/// A Calico eBPF conntrack entry that records a host source-port NAT
/// (`CALI_CT_FLAG_HOST_PSNAT`): a host connection whose source port collided
/// and was moved into `BPFPSNATPorts` (default 20000-29999).
///
/// Calico writes such a connection as a NAT_FWD entry (keyed by the original
/// tuple) and a NAT_REV entry (keyed by the translated one, holding the
/// original source port). Only the NAT_REV entry becomes a flow, so a
/// connection is counted once.
public enum CalicoHostPortNAT {
    /// The flow of one entry, or nil when the entry is not a host-port NAT
    /// reverse entry. Sizes must match `layout` exactly.
    public static func decode(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, layout: CalicoConntrackLayout
    ) throws(DecodeError) -> Flow? {
        guard key.count == layout.keySize else {
            throw DecodeError.badAttributeLength(what: "calico ct key", length: key.count)
        }
        guard value.count == layout.valueSize else {
            throw DecodeError.badAttributeLength(what: "calico ct value", length: value.count)
        }
        let k = BPFEntryBytes(key, what: "calico ct key")
        let v = BPFEntryBytes(value, what: "calico ct value")
        guard try v.u8(CalicoConntrackLayout.typeOffset) == CalicoConntrackLayout.typeNATReverse,
            try layout.flags(v) & CalicoConntrackLayout.flagHostPSNAT != 0
        else { return nil }

        let family = layout.family
        let rawProtocol = try k.le32(0)
        guard rawProtocol <= UInt32(UInt8.max) else {
            throw DecodeError.badAttributeLength(what: "calico ct key protocol", length: Int(rawProtocol))
        }
        let proto = IPProtocol(rawValue: UInt8(rawProtocol))
        let addressA = try k.address(layout.keyAddressA, family: family)
        let addressB = try k.address(layout.keyAddressB, family: family)
        let portA = try k.le16(layout.keyPortA)
        let portB = try k.le16(layout.keyPortB)
        let openerBits = try v.le32(layout.legBToA + 16)
        // The key is ordered by address, not by direction: the leg flags say
        // which side opened the connection (the host, whose port was moved).
        let sourceIsB = openerBits & CalicoConntrackLayout.legOpener != 0
        let (translated, translatedPort, peer, peerPort) =
            sourceIsB
            ? (addressB, portB, addressA, portA) : (addressA, portA, addressB, portB)
        let repliesLeg = sourceIsB ? layout.legAToB : layout.legBToA
        let repliedPackets = try v.le32(repliesLeg + 8)

        let originalSourcePort = try v.le16(layout.originalSourcePort)
        let sourcePort = originalSourcePort != 0 ? originalSourcePort : translatedPort
        let source =
            try v.isZero(layout.originalSource, count: family.byteCount)
            ? translated : try v.address(layout.originalSource, family: family)
        // Through a service the connection was also DNATed; the original
        // destination is the service address.
        var destination = peer
        var destinationPort = peerPort
        var status: FlowStatus = [.confirmed, .sourceNAT]
        if !(try v.isZero(layout.originalDestination, count: family.byteCount)) {
            destination = try v.address(layout.originalDestination, family: family)
            destinationPort = try v.le16(layout.originalDestinationPort)
            if destination != peer || destinationPort != peerPort { status.insert(.destinationNAT) }
        }
        if repliedPackets > 0 { status.insert(.seenReply) }
        let original = Tuple(
            source: source, destination: destination, proto: proto,
            sourcePort: sourcePort, destinationPort: destinationPort)
        let reply = Tuple(
            source: peer, destination: translated, proto: proto,
            sourcePort: peerPort, destinationPort: translatedPort)
        return Flow(family: family, original: original, reply: reply, status: status)
    }
}
