public import Conntrack

/// A packet seen at the edge: one direction of a connection.
public struct EdgePacket: Hashable, Sendable {
    public var proto: IPProtocol?
    public var source: Endpoint
    public var destination: Endpoint
    /// Which format the line was in: `tcpdump` or `log` (iptables/nft LOG).
    public var format: String
    /// tcpdump's `Flags [S]` text or the LOG line's flag words (SYN ACK), when shown.
    public var flags: String?

    public init(proto: IPProtocol?, source: Endpoint, destination: Endpoint, format: String, flags: String? = nil) {
        self.proto = proto
        self.source = source
        self.destination = destination
        self.format = format
        self.flags = flags
    }
}
