import Conntrack
import Engines
import Foundation
import Glibc
import NodeState
import Policy
import Reports
import Testing

/// NodePort and listener overlap (issue 26.4) on a real kernel: a node
/// namespace whose masquerade is pinned to 30000-30010 (inside the NodePort
/// range) and which listens on 30005. check must name the rule with both
/// overlaps; audit must count the flows the kernel put there. The listener
/// is a socket this test opens inside the node namespace, closed at the end.
@Suite(
    "NodePort and listener overlap against the kernel", .serialized,
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(
        if: Shell.has("iptables-nft-restore") && Shell.has("nft") && Shell.has("python3"),
        "needs iptables (nf_tables), nftables and python3"))
struct PortOverlapLabTests {
    static let podNetwork = try! IPNetwork(parsing: CheckTopology.podNetwork)
    static let natRange = [
        "-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -p udp -j MASQUERADE --to-ports 30000-30010",
        "-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -p tcp -j MASQUERADE --to-ports 30000-30010",
    ]

    /// Opens a socket in `namespace` that receives on `port` (TCP: listening).
    static func listen(in namespace: NetworkNamespace, type: Int32, port: UInt16, loopback: Bool = false) throws -> Int32 {
        try namespace.withEntered {
            let descriptor = socket(AF_INET, type, 0)
            guard descriptor >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = loopback ? UInt32(0x7f00_0001).bigEndian : 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, type != Int32(SOCK_STREAM.rawValue) || Glibc.listen(descriptor, 4) == 0 else {
                close(descriptor)
                throw POSIXError(.EADDRINUSE)
            }
            return descriptor
        }
    }

    @Test func listenerReaderSeesTCPListenAndBoundUDPButNotLoopbackOnlyThroughPortOverlap() throws {
        let topology = try CheckTopology.up("pol")
        defer { topology.down() }
        let node = try NetworkNamespace.resolve(topology.node)
        let tcp = try Self.listen(in: node, type: Int32(SOCK_STREAM.rawValue), port: 30005)
        defer { close(tcp) }
        let udp = try Self.listen(in: node, type: Int32(SOCK_DGRAM.rawValue), port: 30007)
        defer { close(udp) }
        let local = try Self.listen(in: node, type: Int32(SOCK_STREAM.rawValue), port: 30009, loopback: true)
        defer { close(local) }

        let all = try ListeningSocketReader.read(namespace: node)
        #expect(all.map(\.description) == ["tcp 0.0.0.0:30005", "udp 0.0.0.0:30007", "tcp 127.0.0.1:30009"])
        let overlap = PortOverlap.reading(nodePortRange: .kubernetesDefault, namespace: node)
        #expect(overlap.listeners?.map(\.port) == [30005, 30007], "loopback-only listeners are left out")
        // The test's own namespace is not the node's: its sockets are not listed there.
        #expect(!(try ListeningSocketReader.read()).contains(ListeningSocket(proto: .udp, address: IPAddress("0.0.0.0")!, port: 30007)))
    }

    @Test func checkNamesTheRuleThatCanTranslateOntoNodePortsAndAListener() throws {
        let topology = try CheckTopology.up("poc")
        defer { topology.down() }
        try topology.loadIptables(Self.natRange)
        let node = try NetworkNamespace.resolve(topology.node)
        let tcp = try Self.listen(in: node, type: Int32(SOCK_STREAM.rawValue), port: 30005)
        defer { close(tcp) }

        var check = NodeCheck(allowed: .defaultAllowed, podNetworks: [Self.podNetwork], namespace: node)
        check.nodePortRange = .kubernetesDefault
        let report = try check.run()
        let overlap = try #require(report.portOverlap)
        #expect(overlap.rules.count == 2)
        for rule in overlap.rules {
            #expect(rule.nodePorts == PortRangeSet(PortRange(low: 30000, high: 30010)!))
        }
        // The TCP listener overlaps the TCP rule only.
        #expect(overlap.rules.map { $0.listeners.map(\.description) }.sorted { $0.count < $1.count } == [[], ["tcp 0.0.0.0:30005"]])
        // Its own finding: the verdict is the firewall's (broken: 30000-30010 is below 32768), not changed by it.
        #expect(report.verdict == .broken)
        let text = CheckTextWriter().render(report)
        #expect(text.contains("port overlap: NodePort range 30000-32767 (the Kubernetes default"))
        #expect(text.contains("can translate onto NodePorts 30000-30010 and listening port(s) tcp 30005"))
        let json = CheckJSONWriter.render(report)
        #expect(json.contains("\"port_overlap\""))
    }

    @Test func auditCountsFlowsTranslatedOntoTheNodePortRangeAndTheListener() throws {
        let topology = try CheckTopology.up("poa")
        defer { topology.down() }
        try topology.loadIptables(Self.natRange)
        let node = try NetworkNamespace.resolve(topology.node)
        let udp = try Self.listen(in: node, type: Int32(SOCK_DGRAM.rawValue), port: 30005)
        defer { close(udp) }
        // Eight flows from two pods: the range has 11 ports, so every flow gets one inside it.
        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: 4)
        try topology.sendUDP(from: topology.pods[1], firstPort: 40000, count: 4)
        let flows = try topology.flowsToServer()
        try #require(flows.count == 8)
        #expect(flows.allSatisfy { (30000...30010).contains($0.translatedSourcePort) })

        var auditor = Auditor(policy: AuditPolicy(allowed: .defaultAllowed, podNetworks: [Self.podNetwork]))
        auditor.nodePortRange = ServiceNodePortRange(range: PortRange(low: 30000, high: 32767)!, file: "/test/kube-apiserver.yaml")
        let report = try auditor.run(namespace: node)
        let tally = try #require(report.portOverlap?.flows)
        #expect(tally.nodePortFlows == 8)
        let onListener = flows.filter { $0.translatedSourcePort == 30005 }.count
        #expect(tally.listenerFlows == onListener)
        #expect(tally.examples.count == min(8, FlowOverlapTally.exampleLimit))
        // Not a firewall violation of its own: the violations are the 8 flows below 32768, as before.
        #expect(report.summary.violations == 8)
        let metrics = PrometheusWriter.render(report, timestamp: 1)
        #expect(metrics.contains("ctaudit_audit_port_overlap_flows{overlap=\"node-port\"} 8\n"))
        #expect(metrics.contains("ctaudit_audit_service_node_port_range_default 0\n"))
        let text = TextReportWriter().render(report)
        #expect(text.contains("port overlap: NodePort range 30000-32767 (from /test/kube-apiserver.yaml)"))
        #expect(text.contains("8 flow(s) translated onto the NodePort range"))
    }
}
