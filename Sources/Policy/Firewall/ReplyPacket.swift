public import Conntrack

/// One packet of a reply, as the upstream firewall sees it arrive: from the
/// remote peer to the node's translated address and port. `remote`,
/// `remotePort` and `local` are nil when asking what holds for every peer.
public struct ReplyPacket: Hashable, Sendable {
    public var family: IPAddress.Family
    public var proto: IPProtocol
    public var remote: IPAddress?
    public var remotePort: UInt16?
    public var local: IPAddress?
    /// The translated source port of the flow: the reply's destination port.
    public var localPort: UInt16
    public var tcpFlags: TCPFlags

    public init(
        family: IPAddress.Family, proto: IPProtocol, remote: IPAddress?, remotePort: UInt16?,
        local: IPAddress?, localPort: UInt16, tcpFlags: TCPFlags = []
    ) {
        self.family = family
        self.proto = proto
        self.remote = remote
        self.remotePort = remotePort
        self.local = local
        self.localPort = localPort
        self.tcpFlags = tcpFlags
    }

    /// The reply packets that must all get through for the flow to work:
    /// for TCP the SYN-ACK and the plain ACKs after it (a stateless filter
    /// may treat them differently), for other protocols one packet.
    public static func replies(of flow: Flow) -> [ReplyPacket] {
        let base = ReplyPacket(
            family: flow.family, proto: flow.proto, remote: flow.reply.source, remotePort: flow.reply.sourcePort,
            local: flow.reply.destination, localPort: flow.reply.destinationPort)
        return variants(of: base)
    }

    package static func variants(of base: ReplyPacket) -> [ReplyPacket] {
        guard base.proto == .tcp else { return [base] }
        var synAck = base
        synAck.tcpFlags = [.syn, .ack]
        var ack = base
        ack.tcpFlags = [.ack]
        return [synAck, ack]
    }

    /// Whether the reply's connection is ASSURED on a tracking gateway: a TCP
    /// reply after the handshake is, the SYN-ACK is not; for other protocols
    /// it depends on timing (nil).
    var isAssured: Bool? {
        guard proto == .tcp else { return nil }
        return !tcpFlags.contains(.syn)
    }

    /// How the packet is named in a verdict.
    var kind: String {
        guard proto == .tcp else { return proto.name }
        return tcpFlags.contains(.syn) ? "tcp syn-ack" : "tcp ack"
    }
}
