/// Decodes one ctnetlink conntrack message (the payload after nlmsghdr:
/// struct nfgenmsg, then attributes) into a `Flow`, without allocating.
///
/// Bounds first: every length is checked before it is used, unknown
/// attributes are skipped, and a malformed message throws `DecodeError`.
public enum FlowDecoder {
    /// Size of struct nfgenmsg (family, version, res_id).
    static let familyHeaderSize = 4

    public static func decode(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> Flow {
        guard payload.count >= familyHeaderSize else {
            throw .truncated(what: "nfgenmsg", needed: familyHeaderSize, available: payload.count)
        }
        let rawFamily = payload.load(as: UInt8.self)
        guard let family = IPAddress.Family(rawValue: rawFamily) else {
            throw .unsupportedFamily(rawFamily)
        }
        var original: Tuple?
        var reply: Tuple?
        var status: UInt32 = 0
        var state: ProtocolState?
        var timeout: UInt32?
        var mark: UInt32 = 0
        var id: UInt32?
        var zone: UInt16 = 0
        var originalZone: UInt16?
        var replyZone: UInt16?
        var start: UInt64?

        var cursor = NetlinkAttributeCursor(UnsafeRawBufferPointer(rebasing: payload[familyHeaderSize...]))
        while let (type, value) = try cursor.next() {
            switch type {
            case ConntrackAttribute.tupleOriginal:
                (original, originalZone) = try decodeTupleAndZone(value, "CTA_TUPLE_ORIG")
            case ConntrackAttribute.tupleReply:
                (reply, replyZone) = try decodeTupleAndZone(value, "CTA_TUPLE_REPLY")
            case ConntrackAttribute.status: status = try value.bigEndianU32("CTA_STATUS")
            case ConntrackAttribute.protoInfo: state = try decodeProtoInfo(value)
            case ConntrackAttribute.timeout: timeout = try value.bigEndianU32("CTA_TIMEOUT")
            case ConntrackAttribute.mark: mark = try value.bigEndianU32("CTA_MARK")
            case ConntrackAttribute.id: id = try value.bigEndianU32("CTA_ID")
            case ConntrackAttribute.zone: zone = try value.bigEndianU16("CTA_ZONE")
            case ConntrackAttribute.timestamp: start = try decodeTimestampStart(value)
            default: continue
            }
        }
        guard let original else { throw .missingAttribute("CTA_TUPLE_ORIG") }
        guard let reply else { throw .missingAttribute("CTA_TUPLE_REPLY") }
        var flow = Flow(
            id: id, family: family, original: original, reply: reply,
            status: FlowStatus(rawValue: status), protocolState: state, timeout: timeout,
            mark: mark, zone: zone, startedAtNanoseconds: start
        )
        flow.originalZone = originalZone
        flow.replyZone = replyZone
        return flow
    }

    static func decodeTuple(_ buffer: UnsafeRawBufferPointer, _ name: StaticString) throws(DecodeError) -> Tuple {
        try decodeTupleAndZone(buffer, name).tuple
    }

    /// One tuple nest and its CTA_TUPLE_ZONE (nil when absent), read in one walk.
    static func decodeTupleAndZone(_ buffer: UnsafeRawBufferPointer, _ name: StaticString)
        throws(DecodeError) -> (tuple: Tuple, zone: UInt16?)
    {
        var zone: UInt16?
        var source: IPAddress?
        var destination: IPAddress?
        var proto: UInt8?
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        var icmpID: UInt16?
        var icmpType: UInt8 = 0
        var icmpCode: UInt8 = 0

        var cursor = NetlinkAttributeCursor(buffer)
        while let (type, value) = try cursor.next() {
            switch type {
            case ConntrackAttribute.Tuple.ip:
                var ip = NetlinkAttributeCursor(value)
                while let (ipType, address) = try ip.next() {
                    switch ipType {
                    case ConntrackAttribute.IP.v4Source: source = try ipv4(address, "CTA_IP_V4_SRC")
                    case ConntrackAttribute.IP.v4Destination: destination = try ipv4(address, "CTA_IP_V4_DST")
                    case ConntrackAttribute.IP.v6Source: source = try ipv6(address, "CTA_IP_V6_SRC")
                    case ConntrackAttribute.IP.v6Destination: destination = try ipv6(address, "CTA_IP_V6_DST")
                    default: continue
                    }
                }
            case ConntrackAttribute.Tuple.proto:
                var protoCursor = NetlinkAttributeCursor(value)
                while let (protoType, field) = try protoCursor.next() {
                    switch protoType {
                    case ConntrackAttribute.Proto.number: proto = try field.u8("CTA_PROTO_NUM")
                    case ConntrackAttribute.Proto.sourcePort: sourcePort = try field.bigEndianU16("CTA_PROTO_SRC_PORT")
                    case ConntrackAttribute.Proto.destinationPort: destinationPort = try field.bigEndianU16("CTA_PROTO_DST_PORT")
                    case ConntrackAttribute.Proto.icmpID, ConntrackAttribute.Proto.icmpv6ID:
                        icmpID = try field.bigEndianU16("CTA_PROTO_ICMP_ID")
                    case ConntrackAttribute.Proto.icmpType, ConntrackAttribute.Proto.icmpv6Type:
                        icmpType = try field.u8("CTA_PROTO_ICMP_TYPE")
                    case ConntrackAttribute.Proto.icmpCode, ConntrackAttribute.Proto.icmpv6Code:
                        icmpCode = try field.u8("CTA_PROTO_ICMP_CODE")
                    default: continue
                    }
                }
            case ConntrackAttribute.Tuple.zone where zone == nil:
                zone = try value.bigEndianU16("CTA_TUPLE_ZONE")
            default: continue
            }
        }
        guard let source else { throw .missingAttribute("\(name) source address") }
        guard let destination else { throw .missingAttribute("\(name) destination address") }
        guard let proto else { throw .missingAttribute("\(name) CTA_PROTO_NUM") }
        let tuple = Tuple(
            source: source, destination: destination, proto: IPProtocol(rawValue: proto),
            sourcePort: sourcePort, destinationPort: destinationPort,
            icmp: icmpID.map { Tuple.ICMPKey(id: $0, type: icmpType, code: icmpCode) }
        )
        return (tuple, zone)
    }

    private static func ipv4(_ value: UnsafeRawBufferPointer, _ name: String) throws(DecodeError) -> IPAddress {
        guard value.count == 4 else { throw .badAttributeLength(what: name, length: value.count) }
        return IPAddress(ipv4: UInt32(bigEndian: value.loadUnaligned(as: UInt32.self)))
    }

    private static func ipv6(_ value: UnsafeRawBufferPointer, _ name: String) throws(DecodeError) -> IPAddress {
        guard value.count == 16 else { throw .badAttributeLength(what: name, length: value.count) }
        return IPAddress(
            ipv6High: UInt64(bigEndian: value.loadUnaligned(as: UInt64.self)),
            low: UInt64(bigEndian: value.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }

    private static func decodeProtoInfo(_ buffer: UnsafeRawBufferPointer) throws(DecodeError) -> ProtocolState? {
        var cursor = NetlinkAttributeCursor(buffer)
        while let (type, nested) = try cursor.next() {
            let (stateType, make): (UInt16, (UInt8) -> ProtocolState) =
                switch type {
                case ConntrackAttribute.ProtoInfo.tcp: (ConntrackAttribute.ProtoInfo.tcpState, ProtocolState.tcp)
                case ConntrackAttribute.ProtoInfo.sctp: (ConntrackAttribute.ProtoInfo.sctpState, ProtocolState.sctp)
                case ConntrackAttribute.ProtoInfo.dccp: (ConntrackAttribute.ProtoInfo.dccpState, ProtocolState.dccp)
                default: (0, { _ in .tcp(0) })
                }
            guard stateType != 0 else { continue }
            var inner = NetlinkAttributeCursor(nested)
            while let (innerType, value) = try inner.next() {
                if innerType == stateType { return make(try value.u8("CTA_PROTOINFO state")) }
            }
        }
        return nil
    }

    private static func decodeTimestampStart(_ buffer: UnsafeRawBufferPointer) throws(DecodeError) -> UInt64? {
        var cursor = NetlinkAttributeCursor(buffer)
        while let (type, value) = try cursor.next() {
            if type == ConntrackAttribute.Timestamp.start {
                return try value.bigEndianU64("CTA_TIMESTAMP_START")
            }
        }
        return nil
    }
}
