import Conntrack
import Engines

/// Violations of every shape: zones and marks, IPv6, SCTP/DCCP states, ages
/// past 2^32 s, an ICMP key next to ports and mixed families (the last two
/// cannot be packed and are kept whole).
package enum ViolationSamples {
    /// One violation of each shape the packed list stores differently.
    package static func all() -> [Violation] {
        var zoned = FlowFactory.flow(id: nil, state: .tcp(3), timeout: nil)
        zoned.zone = 7
        zoned.originalZone = 7
        zoned.replyZone = 9
        zoned.mark = 0xdead_beef
        zoned.startedAtNanoseconds = 1_764_500_000_123_456_789
        var sctp = FlowFactory.flow(id: 3, proto: .sctp, pod: "fd00:10:244::3", server: "2001:db8:2::10", node: "2001:db8:1::2")
        sctp.protocolState = .sctp(4)
        var dccp = FlowFactory.flow(id: 4, proto: .dccp)
        dccp.protocolState = .dccp(4)
        // An ICMP key next to ports: cannot pack, kept whole.
        var odd = FlowFactory.flow(id: 5)
        odd.original.icmp = Tuple.ICMPKey(id: 1, type: 2, code: 3)
        // Mixed families in one entry: cannot pack either.
        var mixed = FlowFactory.flow(id: 6)
        mixed.reply.destination = IPAddress("2001:db8:1::2")!
        return [
            Violation(flow: FlowFactory.flow(), ageSeconds: 42),
            Violation(flow: zoned, ageSeconds: nil, dataplane: .cilium),
            Violation(flow: FlowFactory.flow(id: 2, proto: .icmp), ageSeconds: 0, dataplane: .calico),
            Violation(
                flow: FlowFactory.flow(
                    id: 9, proto: .udp, pod: "fd00:10:244::3", server: "2001:db8:2::10",
                    node: "2001:db8:1::2", status: [.sourceNAT, .seenReply])),
            Violation(flow: sctp, ageSeconds: UInt64(UInt32.max)),
            Violation(flow: dccp, ageSeconds: UInt64(UInt32.max) + 1),
            Violation(flow: odd),
            Violation(flow: mixed),
        ]
    }
}
