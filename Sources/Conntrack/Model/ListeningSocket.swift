/// A socket of the audited namespace that receives on a port: a TCP socket
/// in LISTEN, or a UDP socket bound to a port and not connected (how
/// servers receive). A translated source port NAT gives pod traffic that is
/// also such a socket's port shares the node's port space with it
/// (docs/AUDIT.md, "NodePort and listener overlap").
public struct ListeningSocket: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var proto: IPProtocol
    /// The bound address; `0.0.0.0` or `::` for every address.
    public var address: IPAddress
    public var port: UInt16

    public init(proto: IPProtocol, address: IPAddress, port: UInt16) {
        self.proto = proto
        self.address = address
        self.port = port
    }

    /// Bound to a loopback address only: replies from outside the node never reach it.
    public var isLoopbackOnly: Bool {
        let bytes = address.bytes
        if address.family == .ipv4 { return bytes.first == 127 }
        return bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// `tcp 0.0.0.0:30080`, `udp [::]:53`.
    public var description: String {
        let host = address.family == .ipv6 ? "[\(address)]" : address.description
        return "\(proto.name) \(host):\(port)"
    }

    public static func < (lhs: ListeningSocket, rhs: ListeningSocket) -> Bool {
        (lhs.port, lhs.proto, lhs.address) < (rhs.port, rhs.proto, rhs.address)
    }
}
