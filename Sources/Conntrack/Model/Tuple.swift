/// One direction of a conntrack entry: addresses, protocol and the
/// protocol's key (ports, or ICMP id/type/code).
public struct Tuple: Hashable, Sendable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    public var proto: IPProtocol
    /// Ports in host order; zero when the protocol has none.
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// ICMP/ICMPv6 identifier, type and code; nil for other protocols.
    public var icmp: ICMPKey?

    public struct ICMPKey: Hashable, Sendable {
        public var id: UInt16
        public var type: UInt8
        public var code: UInt8
        public init(id: UInt16, type: UInt8, code: UInt8) {
            self.id = id
            self.type = type
            self.code = code
        }
    }

    public init(
        source: IPAddress, destination: IPAddress, proto: IPProtocol,
        sourcePort: UInt16 = 0, destinationPort: UInt16 = 0, icmp: ICMPKey? = nil
    ) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.icmp = icmp
    }

    /// conntrack(8)-like text: `src=… dst=… sport=… dport=…`.
    public var description: String {
        var text = "src=\(source) dst=\(destination)"
        if proto.carriesPorts {
            text += " sport=\(sourcePort) dport=\(destinationPort)"
        } else if let icmp {
            text += " type=\(icmp.type) code=\(icmp.code) id=\(icmp.id)"
        }
        return text
    }
}
