import Foundation
import Testing

/// Issue 12, part 1: hairpin traffic (a pod -> a service VIP DNATed back to a
/// pod on the same node, with the hairpin MASQUERADE kube-proxy and flannel
/// install) and pod-to-pod flows that the kernel's clash handling remapped
/// never cross the upstream firewall. They used to be violations that audit's
/// own fix could not clear; now they are `node_local`, while the incident's
/// egress violations are still all found.
///
/// On top of the lab: pod3 serves on 8080/5353 behind VIP 10.96.0.10; a
/// routed pod (`PREFIX-rp`, 10.244.1.2, reached through the node's routing
/// like a Calico pod) serves behind VIP 10.96.0.20. Everything lives in the
/// test's own namespaces.
@Suite(
    "audit: node-local scope on the lab",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct NodeLocalScopeKernelTests {
    static let podCIDRs = ["10.244.0.0/24", "10.244.1.0/24", "fd00:10:244::/64"]

    struct Key: Hashable {
        var proto: String
        var source: String
        var sourcePort: Int
    }

    /// One UDP exchange from `namespace`: bind `port`, send to each target
    /// in turn, wait for each echo. Prints "ok" or "timeout" per target.
    static func udp(_ namespace: String, port: Int, targets: [(String, Int)]) throws -> [String] {
        let list = targets.map { "('\($0.0)', \($0.1))" }.joined(separator: ", ")
        let script = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('', \(port)))
            s.settimeout(2)
            for target in [\(list)]:
                s.sendto(b'ping\\n', target)
                try:
                    s.recvfrom(100); print('ok')
                except socket.timeout:
                    print('timeout')
            """
        let result = try Shell.run("/usr/sbin/ip", ["netns", "exec", namespace, "python3", "-c", script])
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func hairpinAndPodToPodClashesAreNodeLocalAndEgressViolationsAreAllFound() throws {
        let lab = try Lab.up("ctn")
        defer { lab.down() }
        let routedPod = "\(lab.prefix)-rp"
        // Deleting a namespace does not end its processes: the server there is
        // ended by its pid first (the lab's `down` ends pod3's).
        defer {
            _ = try? Shell.run("/bin/sh", ["-c", "ip netns pids \(routedPod) | xargs -r kill; ip netns del \(routedPod)"])
        }
        let node = lab.nodeNamespace
        let peer = Shell.packageRoot.appendingPathComponent("scripts/lab_peer.py").path
        // The routed pod: its own /24 behind the node, no bridge.
        try Shell.sh(
            """
            ip netns add \(routedPod) && ip -n \(routedPod) link set lo up
            ip -n \(node) link add vrp type veth peer name eth0 netns \(routedPod)
            ip -n \(node) addr add 10.244.1.1/24 dev vrp && ip -n \(node) link set vrp up
            ip -n \(routedPod) addr add 10.244.1.2/24 dev eth0 && ip -n \(routedPod) link set eth0 up
            ip -n \(routedPod) route add default via 10.244.1.1
            """)
        // Servers in pod3 and the routed pod (the lab's `down` and the netns
        // deletion end them).
        for namespace in ["\(lab.prefix)-pod3", routedPod] {
            try Shell.sh("ip netns exec \(namespace) python3 \(peer) server --tcp-port 8080 --udp-port 5353 </dev/null >/dev/null 2>&1 &")
        }
        // Services and the node's NAT, the way kube-proxy/flannel lay it out:
        // DNAT to the backends, hairpin MASQUERADE for backends on the
        // bridge, no NAT between pod networks, then the lab's egress MASQUERADE.
        try Shell.sh(
            """
            ip netns exec \(node) iptables -t nat -A PREROUTING -d 10.96.0.10 -p udp --dport 53 -j DNAT --to-destination 10.244.0.4:5353
            ip netns exec \(node) iptables -t nat -A PREROUTING -d 10.96.0.20 -p udp --dport 53 -j DNAT --to-destination 10.244.1.2:5353
            ip netns exec \(node) iptables -t nat -I POSTROUTING 1 -s 10.244.0.0/24 -d 10.244.0.0/24 -j MASQUERADE
            ip netns exec \(node) iptables -t nat -I POSTROUTING 2 -s 10.244.0.0/24 -d 10.244.1.0/24 -j RETURN
            """)
        // Wait for the servers to listen.
        for _ in 0..<50 {
            let listening = try Shell.run(
                "/bin/sh",
                ["-c", "ip netns exec \(routedPod) ss -lun | grep -q 5353 && ip netns exec \(lab.prefix)-pod3 ss -lun | grep -q 5353"])
            if listening.status == 0 { break }
            usleep(100_000)
        }

        // Hairpin: pod1 and pod2 bind the same low port to the VIP; pod1's
        // port is kept (1000), pod2's clashes and is remapped into 600-1023.
        #expect(try Self.udp("\(lab.prefix)-pod1", port: 1000, targets: [("10.96.0.10", 53)]) == ["ok"])
        #expect(try Self.udp("\(lab.prefix)-pod2", port: 1000, targets: [("10.96.0.10", 53)]) == ["ok"])
        // Pod-to-pod clash: pod1 reaches the routed pod through its VIP, then
        // directly from the same port; the second entry's reply tuple is the
        // first one's, so the kernel remaps its source port (null binding).
        _ = try Self.udp("\(lab.prefix)-pod1", port: 900, targets: [("10.96.0.20", 53), ("10.244.1.2", 5353)])

        let connections = try lab.traffic(pairs: 8)
        let result = try Shell.run(
            Shell.ctauditBinary,
            ["audit", "--netns", node, "--format", "json", "--node-local"]
                + Self.podCIDRs.flatMap { ["--pod-cidr", $0] })
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "ctaudit audit: \(result.stderr)")
        let summary = try #require(report["summary"] as? [String: Int])
        let nodeLocal = try #require(report["node_local"] as? [[String: Any]])
        func key(_ flow: [String: Any]) -> Key? {
            guard let original = flow["original"] as? [String: Any], let source = original["src"] as? String,
                let port = original["sport"] as? Int, let proto = flow["proto"] as? String
            else { return nil }
            return Key(proto: proto, source: source, sourcePort: port)
        }
        let localKeys = nodeLocal.compactMap { flow -> (Key, Int, Bool)? in
            guard let key = key(flow), let translated = (flow["translated"] as? [String: Any])?["sport"] as? Int,
                let remapped = flow["remapped"] as? Bool
            else { return nil }
            return (key, translated, remapped)
        }
        // The three flows that used to be violations: a kept low port and a
        // remap through the hairpin, and the pod-to-pod clash remap.
        #expect(
            localKeys.contains { $0.0 == Key(proto: "udp", source: "10.244.0.2", sourcePort: 1000) && !$0.2 && $0.1 == 1000 },
            "\(localKeys)")
        #expect(
            localKeys.contains { $0.0 == Key(proto: "udp", source: "10.244.0.3", sourcePort: 1000) && $0.2 && $0.1 < 1024 },
            "\(localKeys)")
        #expect(
            localKeys.contains { $0.0 == Key(proto: "udp", source: "10.244.0.2", sourcePort: 900) && $0.2 && $0.1 < 1024 },
            "\(localKeys)")
        #expect(summary["node_local"] == nodeLocal.count)
        #expect(nodeLocal.count >= 3)

        // Egress: exactly the connections that timed out are violations.
        let violations = Set((report["violations"] as? [[String: Any]] ?? []).compactMap(key))
        let timedOut = Set(connections.filter(\.timedOut).map { Key(proto: $0.proto, source: $0.source, sourcePort: $0.sourcePort) })
        #expect(!timedOut.isEmpty, "the lab must reproduce the incident")
        #expect(violations == timedOut, "violations vs timed-out connections: \(violations.symmetricDifference(timedOut))")
        #expect(result.status == 1)
        #expect(report["verdict"] as? String == "violations")

        // The text report counts them and lists them with --node-local.
        let text = try Shell.run(
            Shell.ctauditBinary, ["audit", "--netns", node, "--node-local"] + Self.podCIDRs.flatMap { ["--pod-cidr", $0] })
        #expect(text.stdout.contains("node-local \(nodeLocal.count) (peer on this node: never violations)"), "\(text.stdout)")
        #expect(text.stdout.contains("node-local flows (the peer is on this node"))
    }
}
