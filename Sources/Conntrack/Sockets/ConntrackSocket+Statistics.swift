import CConntrack
import CConntrackShim
import SystemPackage

extension ConntrackSocket {
    /// The namespace's per-CPU conntrack counters, one element per possible
    /// CPU, as `conntrack -S` reads them (IPCTNL_MSG_CT_GET_STATS_CPU dump).
    public func cpuStatistics() throws(ConntrackError) -> [CPUStatistics] {
        sequence &+= 1
        let length = ctaudit_build_stats_cpu_request(buffer.baseAddress, buffer.count, sequence)
        try send(length: Int(length), operation: "per-CPU conntrack statistics request")
        var cpus: [CPUStatistics] = []
        while true {
            let count = try receive(operation: "per-CPU conntrack statistics")
            var messages = NetlinkMessageCursor(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            while let message = try Self.decoded({ () throws(DecodeError) in try messages.next() }) {
                guard message.sequence == sequence, message.portID == portID || message.portID == 0 else { continue }
                switch message.type {
                case NetlinkMessage.done:
                    return cpus.sorted { ($0.cpu ?? 0) < ($1.cpu ?? 0) }
                case NetlinkMessage.error:
                    let code = try Self.decoded { () throws(DecodeError) in try message.errorCode() }
                    if code != 0 {
                        throw .from(Errno(rawValue: code), operation: "per-CPU conntrack statistics")
                    }
                case NetlinkMessage.overrun:
                    throw .receiveOverrun
                default:
                    guard message.type >> 8 == ConntrackMessageType.subsystem,
                        message.type & 0xff == UInt16(IPCTNL_MSG_CT_GET_STATS_CPU.rawValue)
                    else { continue }
                    cpus.append(try Self.decoded { () throws(DecodeError) in try Self.decodeCPUStatistics(message.payload) })
                }
            }
        }
    }

    /// Decodes one per-CPU reply: nfgenmsg (res_id = CPU, big-endian) and
    /// CTA_STATS_* u32 attributes. Unknown attributes are skipped.
    static func decodeCPUStatistics(_ payload: UnsafeRawBufferPointer) throws(DecodeError) -> CPUStatistics {
        guard payload.count >= FlowDecoder.familyHeaderSize else {
            throw .truncated(what: "nfgenmsg", needed: FlowDecoder.familyHeaderSize, available: payload.count)
        }
        let cpu = UInt16(bigEndian: payload.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        var stats = CPUStatistics(cpu: Int(cpu))
        var attributes = NetlinkAttributeCursor(UnsafeRawBufferPointer(rebasing: payload[FlowDecoder.familyHeaderSize...]))
        while let (type, value) = try attributes.next() {
            let keyPath: WritableKeyPath<CPUStatistics, UInt64>
            switch UInt32(type) {
            case CTA_STATS_FOUND.rawValue: keyPath = \.found
            case CTA_STATS_INVALID.rawValue: keyPath = \.invalid
            case CTA_STATS_INSERT.rawValue: keyPath = \.insert
            case CTA_STATS_INSERT_FAILED.rawValue: keyPath = \.insertFailed
            case CTA_STATS_DROP.rawValue: keyPath = \.drop
            case CTA_STATS_EARLY_DROP.rawValue: keyPath = \.earlyDrop
            case CTA_STATS_ERROR.rawValue: keyPath = \.error
            case CTA_STATS_SEARCH_RESTART.rawValue: keyPath = \.searchRestart
            case CTA_STATS_CLASH_RESOLVE.rawValue: keyPath = \.clashResolve
            case CTA_STATS_CHAIN_TOOLONG.rawValue: keyPath = \.chainTooLong
            default: continue
            }
            stats[keyPath: keyPath] = UInt64(try value.bigEndianU32("CTA_STATS attribute \(type)"))
        }
        return stats
    }
}
