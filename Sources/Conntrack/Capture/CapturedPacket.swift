/// What ctaudit reads of one captured packet: the IP addresses, the
/// transport protocol and ports, and TCP's flags. Nothing of the payload.
public struct CapturedPacket: Hashable, Sendable {
    public var proto: IPProtocol
    public var source: Endpoint
    public var destination: Endpoint
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10); 0 for other protocols.
    public var tcpFlags: UInt8
    /// Capture time, microseconds since the epoch.
    public var timestampMicroseconds: UInt64

    public init(proto: IPProtocol, source: Endpoint, destination: Endpoint, tcpFlags: UInt8 = 0, timestampMicroseconds: UInt64 = 0) {
        self.proto = proto
        self.source = source
        self.destination = destination
        self.tcpFlags = tcpFlags
        self.timestampMicroseconds = timestampMicroseconds
    }

    public static let fin: UInt8 = 0x01
    public static let syn: UInt8 = 0x02
    public static let rst: UInt8 = 0x04
    public static let ack: UInt8 = 0x10

    /// A connection's first packet: SYN without ACK.
    public var isSYN: Bool { proto == .tcp && tcpFlags & (Self.syn | Self.ack) == Self.syn }
    /// The answer to a SYN: SYN and ACK.
    public var isSYNACK: Bool { proto == .tcp && tcpFlags & (Self.syn | Self.ack) == Self.syn | Self.ack }
    public var isRST: Bool { proto == .tcp && tcpFlags & Self.rst != 0 }
}
