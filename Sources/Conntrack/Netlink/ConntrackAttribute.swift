import CConntrack

/// ctnetlink attribute numbers, taken from the kernel's uapi headers so they
/// cannot drift from what the kernel sends.
enum ConntrackAttribute {
    static let tupleOriginal = UInt16(CTA_TUPLE_ORIG.rawValue)
    static let tupleReply = UInt16(CTA_TUPLE_REPLY.rawValue)
    static let status = UInt16(CTA_STATUS.rawValue)
    static let protoInfo = UInt16(CTA_PROTOINFO.rawValue)
    static let timeout = UInt16(CTA_TIMEOUT.rawValue)
    static let mark = UInt16(CTA_MARK.rawValue)
    static let id = UInt16(CTA_ID.rawValue)
    static let zone = UInt16(CTA_ZONE.rawValue)
    static let timestamp = UInt16(CTA_TIMESTAMP.rawValue)

    enum Tuple {
        static let ip = UInt16(CTA_TUPLE_IP.rawValue)
        static let proto = UInt16(CTA_TUPLE_PROTO.rawValue)
        static let zone = UInt16(CTA_TUPLE_ZONE.rawValue)
    }

    enum IP {
        static let v4Source = UInt16(CTA_IP_V4_SRC.rawValue)
        static let v4Destination = UInt16(CTA_IP_V4_DST.rawValue)
        static let v6Source = UInt16(CTA_IP_V6_SRC.rawValue)
        static let v6Destination = UInt16(CTA_IP_V6_DST.rawValue)
    }

    enum Proto {
        static let number = UInt16(CTA_PROTO_NUM.rawValue)
        static let sourcePort = UInt16(CTA_PROTO_SRC_PORT.rawValue)
        static let destinationPort = UInt16(CTA_PROTO_DST_PORT.rawValue)
        static let icmpID = UInt16(CTA_PROTO_ICMP_ID.rawValue)
        static let icmpType = UInt16(CTA_PROTO_ICMP_TYPE.rawValue)
        static let icmpCode = UInt16(CTA_PROTO_ICMP_CODE.rawValue)
        static let icmpv6ID = UInt16(CTA_PROTO_ICMPV6_ID.rawValue)
        static let icmpv6Type = UInt16(CTA_PROTO_ICMPV6_TYPE.rawValue)
        static let icmpv6Code = UInt16(CTA_PROTO_ICMPV6_CODE.rawValue)
    }

    enum ProtoInfo {
        static let tcp = UInt16(CTA_PROTOINFO_TCP.rawValue)
        static let dccp = UInt16(CTA_PROTOINFO_DCCP.rawValue)
        static let sctp = UInt16(CTA_PROTOINFO_SCTP.rawValue)
        static let tcpState = UInt16(CTA_PROTOINFO_TCP_STATE.rawValue)
        static let dccpState = UInt16(CTA_PROTOINFO_DCCP_STATE.rawValue)
        static let sctpState = UInt16(CTA_PROTOINFO_SCTP_STATE.rawValue)
    }

    enum Timestamp {
        static let start = UInt16(CTA_TIMESTAMP_START.rawValue)
    }

    enum Stats {
        static let globalEntries = UInt16(CTA_STATS_GLOBAL_ENTRIES.rawValue)
        static let globalMaxEntries = UInt16(CTA_STATS_GLOBAL_MAX_ENTRIES.rawValue)
    }
}
