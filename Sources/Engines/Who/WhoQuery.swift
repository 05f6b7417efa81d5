public import Conntrack

/// What `who` is asked: the translated source as seen upstream (the node's
/// address and the port NAT gave the flow), optionally the remote end and
/// the protocol.
public struct WhoQuery: Hashable, Sendable, CustomStringConvertible {
    public var endpoint: Endpoint
    /// The remote end's address, as the upstream side sees it.
    public var remoteAddress: IPAddress?
    public var remotePort: UInt16?
    public var proto: IPProtocol?

    public init(endpoint: Endpoint, remoteAddress: IPAddress? = nil, remotePort: UInt16? = nil, proto: IPProtocol? = nil) {
        self.endpoint = endpoint
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.proto = proto
    }

    /// Whether `flow` left the node with this endpoint as its source: its
    /// reply tuple's destination. The remote is the reply tuple's source
    /// (the peer that answers, after any DNAT) or the original destination.
    public func matches(_ flow: Flow) -> Bool {
        guard flow.proto.carriesPorts, flow.reply.destination == endpoint.address,
            flow.reply.destinationPort == endpoint.port
        else { return false }
        if let proto, proto != flow.proto { return false }
        if let remoteAddress, remoteAddress != flow.reply.source && remoteAddress != flow.original.destination { return false }
        if let remotePort, remotePort != flow.reply.sourcePort && remotePort != flow.original.destinationPort { return false }
        return true
    }

    /// `198.51.100.2:2589 -> 203.0.113.10:8080 tcp`, with what was given.
    public var description: String {
        var text = endpoint.description
        if let remoteAddress {
            text +=
                " -> "
                + (remotePort.map { Endpoint(address: remoteAddress, port: $0).description }
                    ?? remoteAddress.description)
        } else if let remotePort {
            text += " -> port \(remotePort)"
        }
        if let proto { text += " \(proto.name)" }
        return text
    }
}
