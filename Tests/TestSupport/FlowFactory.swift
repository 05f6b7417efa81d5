import Conntrack

/// Builds flows for policy and writer tests.
package enum FlowFactory {
    package static func flow(
        id: UInt32? = 1, proto: IPProtocol = .tcp, pod: String = "10.244.0.3", sport: UInt16 = 40000,
        server: String = "203.0.113.10", dport: UInt16 = 8080, node: String = "198.51.100.2",
        translatedPort: UInt16 = 1500, status: FlowStatus = [.sourceNAT, .confirmed, .sourceNATDone],
        state: ProtocolState? = .tcp(1), timeout: UInt32? = 117
    ) -> Flow {
        let podAddress = IPAddress(pod)!
        let serverAddress = IPAddress(server)!
        let nodeAddress = IPAddress(node)!
        let ports = proto.carriesPorts
        return Flow(
            id: id, family: podAddress.family,
            original: Tuple(
                source: podAddress, destination: serverAddress, proto: proto,
                sourcePort: ports ? sport : 0, destinationPort: ports ? dport : 0,
                icmp: ports ? nil : Tuple.ICMPKey(id: 7, type: 8, code: 0)),
            reply: Tuple(
                source: serverAddress, destination: nodeAddress, proto: proto,
                sourcePort: ports ? dport : 0, destinationPort: ports ? translatedPort : 0,
                icmp: ports ? nil : Tuple.ICMPKey(id: 7, type: 0, code: 0)),
            status: status, protocolState: proto == .tcp ? state : nil, timeout: timeout
        )
    }
}
