import Conntrack
import Foundation
import TestSupport

/// A small topology of its own for `check`'s kernel tests: two pods behind a
/// node that source-NATs out to a server. The node starts with no NAT rule;
/// each test loads the rule it checks. Every name is unique to the test and
/// everything is deleted in `down()` (call it in a defer); the root namespace
/// is never touched.
///
///   PREFIX-p1 10.77.0.2 ┐              node: br0 10.77.0.1 / out0 192.0.2.1 ── PREFIX-srv 192.0.2.2
///   PREFIX-p2 10.77.0.3 ┴─ PREFIX-node          (the server drops udp 5353 and tcp 8080: entries stay unreplied)
struct CheckTopology {
    let prefix: String
    var node: String { "\(prefix)-node" }
    var pods: [String] { ["\(prefix)-p1", "\(prefix)-p2"] }
    var server: String { "\(prefix)-srv" }
    static let serverAddress = "192.0.2.2"
    static let podNetwork = "10.77.0.0/24"

    static func up(_ tag: String) throws -> CheckTopology {
        let topology = CheckTopology(prefix: "\(tag)\(UniqueName.tag())")
        do {
            try topology.build()
        } catch {
            topology.down()
            throw error
        }
        return topology
    }

    private func build() throws {
        let p = prefix
        var script = """
            set -e
            ip netns add \(node); ip netns add \(server)
            ip -n \(node) link set lo up; ip -n \(server) link set lo up
            ip -n \(node) link add br0 type bridge; ip -n \(node) addr add 10.77.0.1/24 dev br0; ip -n \(node) link set br0 up
            ip -n \(node) link add out0 type veth peer name eth0 netns \(server)
            ip -n \(node) addr add 192.0.2.1/24 dev out0; ip -n \(node) link set out0 up
            ip -n \(server) addr add \(Self.serverAddress)/24 dev eth0; ip -n \(server) link set eth0 up
            ip netns exec \(node) sysctl -qw net.ipv4.ip_forward=1
            ip netns exec \(server) iptables -A INPUT -p udp --dport 5353 -j DROP
            ip netns exec \(server) iptables -A INPUT -p tcp --dport 8080 -j DROP

            """
        for (index, pod) in pods.enumerated() {
            script += """
                ip netns add \(pod); ip -n \(pod) link set lo up
                ip -n \(node) link add v\(p.suffix(4))\(index) type veth peer name eth0 netns \(pod)
                ip -n \(node) link set v\(p.suffix(4))\(index) master br0 up
                ip -n \(pod) addr add 10.77.0.\(index + 2)/24 dev eth0; ip -n \(pod) link set eth0 up
                ip -n \(pod) route add default via 10.77.0.1

                """
        }
        try Shell.sh(script)
    }

    /// Replaces the node's nat rules with `rules` (iptables-restore syntax lines for *nat).
    func loadIptables(_ rules: [String]) throws {
        let body = "*nat\n" + rules.joined(separator: "\n") + "\nCOMMIT\n"
        try Shell.sh("ip netns exec \(node) iptables-nft-restore <<'EOF'\n\(body)EOF")
    }

    func loadNft(_ ruleset: String) throws {
        try Shell.sh("ip netns exec \(node) nft -f - <<'EOF'\n\(ruleset)\nEOF")
    }

    /// Sends one UDP datagram to the server from each of `count` consecutive
    /// source ports starting at `firstPort`: one conntrack entry each.
    func sendUDP(from pod: String, firstPort: Int, count: Int) throws {
        let program = """
            import socket
            for port in range(\(firstPort), \(firstPort + count)):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("", port))
                s.sendto(b"x", ("\(Self.serverAddress)", 5353))
                s.close()
            """
        try Shell.sh("ip netns exec \(pod) python3 -c '\(program)'")
    }

    /// Sends one TCP SYN to the server from each of `count` consecutive source
    /// ports and closes the socket at once: the server drops the SYN, so each
    /// entry stays SYN_SENT (120 s) and a second pod's same ports clash with it.
    func sendTCPSyn(from pod: String, firstPort: Int, count: Int) throws {
        let program = """
            import socket
            for port in range(\(firstPort), \(firstPort + count)):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("", port))
                s.setblocking(False)
                s.connect_ex(("\(Self.serverAddress)", 8080))
                s.close()
            """
        try Shell.sh("ip netns exec \(pod) python3 -c '\(program)'")
    }

    /// The node's flows of `proto` to the server, straight from its conntrack table.
    func flowsToServer(_ proto: IPProtocol = .udp) throws -> [Flow] {
        let socket = try ConntrackSocket(namespace: try NetworkNamespace.resolve(node))
        var flows: [Flow] = []
        _ = try socket.dump(.everything) { flow in
            if flow.proto == proto, flow.original.destination.description == Self.serverAddress { flows.append(flow) }
        }
        return flows
    }

    func down() {
        for name in pods + [node, server] {
            _ = try? Shell.sh("ip netns del \(name)")
        }
    }
}
