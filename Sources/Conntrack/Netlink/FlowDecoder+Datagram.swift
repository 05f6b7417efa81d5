import CConntrack

/// What one received datagram held, decoded the way a dump reads it.
public struct DecodedDatagram: Hashable, Sendable {
    /// Conntrack entries (IPCTNL_MSG_CT_NEW and IPCTNL_MSG_CT_DELETE) that decoded.
    public var flows: [Flow] = []
    /// Conntrack entries that did not decode: skipped and counted, as in a dump.
    public var malformed = 0
    /// Errnos of NLMSG_ERROR messages (0 is an acknowledgement).
    public var errors: [Int32] = []
    /// Per-CPU statistics replies (IPCTNL_MSG_CT_GET_STATS_CPU) that decoded.
    public var cpuStatistics: [CPUStatistics] = []
    /// NLMSG_DONE was seen: the dump ended in this datagram.
    public var done = false
    /// NLMSG_OVERRUN was seen.
    public var overrun = false

    public init() {}
}

extension FlowDecoder {
    /// Decodes a whole received datagram (netlink headers included) with the
    /// same rules the socket readers apply: a datagram whose netlink framing is
    /// broken throws; a conntrack message inside it that does not decode is
    /// counted in `malformed` and skipped. The entry point of the fuzz target
    /// (Sources/ConntrackFuzz) and of tools that replay captured bytes.
    public static func decodeDatagram(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> DecodedDatagram {
        var result = DecodedDatagram()
        var messages = NetlinkMessageCursor(bytes)
        while let message = try messages.next() {
            switch message.type {
            case NetlinkMessage.noop:
                continue
            case NetlinkMessage.error:
                result.errors.append(try message.errorCode())
            case NetlinkMessage.done:
                result.done = true
            case NetlinkMessage.overrun:
                result.overrun = true
            default:
                guard message.type >> 8 == ConntrackMessageType.subsystem else { continue }
                switch message.type & 0xff {
                case ConntrackMessageType.new, ConntrackMessageType.delete:
                    do {
                        result.flows.append(try FlowDecoder.decode(message.payload))
                    } catch {
                        result.malformed += 1
                    }
                case UInt16(IPCTNL_MSG_CT_GET_STATS_CPU.rawValue):
                    if let stats = try? ConntrackSocket.decodeCPUStatistics(message.payload) {
                        result.cpuStatistics.append(stats)
                    }
                default:
                    continue
                }
            }
        }
        return result
    }
}
