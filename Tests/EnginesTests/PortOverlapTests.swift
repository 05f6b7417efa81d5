import Conntrack
import Engines
import NodeState
import Policy
import TestSupport
import Testing

/// The overlap logic of issue 26.4 without a kernel: rules' possible ports
/// against the NodePort range and listeners, and flows' translated ports.
@Suite("Engines: NodePort and listener overlap")
struct PortOverlapTests {
    static func rules(_ lines: [String]) throws -> [RuleFinding] {
        let text = "*nat\n:POSTROUTING ACCEPT [0:0]\n" + lines.joined(separator: "\n") + "\nCOMMIT\n"
        let parsed = try IptablesSaveParser(origin: "test").parse(text)
        return RuleChecker(allowed: .defaultAllowed, podNetworks: [], sources: [.assumedPods]).check([parsed.rules])
    }

    static let listeners = [
        ListeningSocket(proto: .tcp, address: IPAddress("0.0.0.0")!, port: 30005),
        ListeningSocket(proto: .udp, address: IPAddress("::")!, port: 40001),
        ListeningSocket(proto: .tcp, address: IPAddress("127.0.0.1")!, port: 40002),
    ]

    @Test func aPinnedRangeAboveTheNodePortsOverlapsOnlyAListenerInIt() throws {
        var overlap = PortOverlap(nodePortRange: .kubernetesDefault, listeners: Self.listeners)
        #expect(overlap.listeners?.count == 2, "loopback-only listeners never receive replies from outside")
        overlap.judge(
            try Self.rules([
                "-A POSTROUTING -s 10.244.0.0/16 -p udp -j MASQUERADE --to-ports 32768-65535",
                "-A POSTROUTING -s 10.244.0.0/16 -p tcp -j MASQUERADE --to-ports 32768-65535",
            ]))
        #expect(overlap.rules.count == 1)
        #expect(overlap.rules.first?.rule.protocols == .only([.udp]))
        #expect(overlap.rules.first?.nodePorts.isEmpty == true)
        #expect(overlap.rules.first?.listenerPortWords == "udp 40001")
    }

    @Test func aNATRangeOverlapping30000To32767IsAFinding() throws {
        var overlap = PortOverlap(nodePortRange: .kubernetesDefault, listeners: nil)
        overlap.judge(try Self.rules(["-A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE --random-fully"]))
        // Unpinned: 1024-65535 (and the privileged classes) includes every NodePort.
        #expect(overlap.rules.first?.nodePorts == PortRangeSet(PortRange(low: 30000, high: 32767)!))
        #expect(overlap.hasFindings)
        #expect(overlap.summary.contains("can translate onto NodePorts 30000-32767"))
    }

    @Test func aRangeBelowTheNodePortsAndNoListenerIsNone() throws {
        var overlap = PortOverlap(
            nodePortRange: ServiceNodePortRange(range: PortRange(low: 30000, high: 32767)!, file: "/x"), listeners: [])
        overlap.judge(try Self.rules(["-A POSTROUTING -p tcp -j MASQUERADE --to-ports 40000-50000"]))
        #expect(overlap.rules.isEmpty)
        #expect(!overlap.hasFindings)
        #expect(overlap.summary == "none")
    }

    @Test func flowsAreCountedByWhatTheyLandOn() {
        var tally = FlowOverlapTally(nodePortRange: PortRange(low: 30000, high: 32767)!, listeners: Self.listeners)
        let node = "198.51.100.2"
        tally.add(FlowFactory.flow(node: node, translatedPort: 30005), ageSeconds: 1, dataplane: .conntrack)  // both
        tally.add(FlowFactory.flow(node: node, translatedPort: 31000), ageSeconds: 1, dataplane: .conntrack)  // NodePort
        // A udp [::] listener:
        tally.add(FlowFactory.flow(proto: .udp, node: node, translatedPort: 40001), ageSeconds: 1, dataplane: .conntrack)
        tally.add(FlowFactory.flow(proto: .tcp, node: node, translatedPort: 40001), ageSeconds: 1, dataplane: .conntrack)  // other protocol
        tally.add(FlowFactory.flow(node: node, translatedPort: 40002), ageSeconds: 1, dataplane: .conntrack)  // loopback listener
        tally.add(FlowFactory.flow(node: node, translatedPort: 45000), ageSeconds: 1, dataplane: .conntrack)  // nothing
        #expect(tally.nodePortFlows == 2)
        // tcp 30005 and udp [::]:40001; the loopback listener is not on the node's address.
        #expect(tally.listenerFlows == 2)
        #expect(tally.total == 4, "a flow on both counts in both")
        #expect(tally.examples.map(\.translatedPort) == [30005, 31000, 40001])
    }

    @Test func aListenerOnAnotherAddressIsNotHit() {
        let elsewhere = ListeningSocket(proto: .tcp, address: IPAddress("192.0.2.7")!, port: 40010)
        var tally = FlowOverlapTally(nodePortRange: PortRange(low: 30000, high: 32767)!, listeners: [elsewhere])
        tally.add(FlowFactory.flow(node: "198.51.100.2", translatedPort: 40010), ageSeconds: nil, dataplane: .conntrack)
        tally.add(FlowFactory.flow(node: "192.0.2.7", translatedPort: 40010), ageSeconds: nil, dataplane: .conntrack)
        #expect(tally.listenerFlows == 1)
        #expect(tally.listenersHit == [elsewhere])
    }
}
