import Conntrack
import Policy
import TestSupport
import Testing

@Suite("Classification")
struct AuditPolicyTests {
    let policy = AuditPolicy(
        allowed: .defaultAllowed,
        podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16"), try! IPNetwork(parsing: "fd00:10:244::/48")],
        excludedDestinations: [try! IPNetwork(parsing: "10.96.0.0/12")]
    )

    @Test func remappedLowPortIsAViolation() {
        #expect(policy.classify(FlowFactory.flow(translatedPort: 1500)) == .violation(remapped: true))
    }

    @Test func keptLowPortIsAViolationToo() {
        // A pod with a low ip_local_port_range keeps its port through masquerade.
        #expect(policy.classify(FlowFactory.flow(sport: 1500, translatedPort: 1500)) == .violation(remapped: false))
    }

    @Test func remappedIntoTheAllowedRange() {
        #expect(policy.classify(FlowFactory.flow(translatedPort: 40001)) == .allowed(remapped: true))
        #expect(policy.classify(FlowFactory.flow(translatedPort: 40000)) == .allowed(remapped: false))
    }

    @Test("SRC_NAT_DONE alone is not source NAT")
    func natDoneIsNotNAT() {
        let flow = FlowFactory.flow(status: [.confirmed, .sourceNATDone])
        #expect(policy.classify(flow) == .notSourceNATed)
    }

    @Test func outsidePodNetworksOrExcluded() {
        #expect(policy.classify(FlowFactory.flow(pod: "192.0.2.5")) == .outOfScope)
        #expect(policy.classify(FlowFactory.flow(server: "10.96.0.10")) == .outOfScope)
        // With no pod network configured, every source-NATed flow is audited.
        #expect(AuditPolicy().classify(FlowFactory.flow(pod: "192.0.2.5")) == .violation(remapped: true))
    }

    @Test func protocolsWithoutPortsAreCountedNotFlagged() {
        #expect(policy.classify(FlowFactory.flow(proto: .icmp)) == .withoutPorts)
        #expect(policy.classify(FlowFactory.flow(proto: .gre)) == .withoutPorts)
    }

    @Test("port-carrying protocols", arguments: [IPProtocol.tcp, .udp, .sctp, .udplite, .dccp])
    func portProtocols(proto: IPProtocol) {
        #expect(policy.classify(FlowFactory.flow(proto: proto, translatedPort: 900)) == .violation(remapped: true))
    }

    @Test func ipv6() {
        let flow = FlowFactory.flow(pod: "fd00:10:244::3", server: "2001:db8:2::10", node: "2001:db8:1::2", translatedPort: 20000)
        #expect(policy.classify(flow) == .violation(remapped: true))
    }

    @Test func customAllowedRanges() throws {
        let policy = AuditPolicy(allowed: try PortRangeSet(parsing: "1024-2047,32768-65535"))
        #expect(policy.classify(FlowFactory.flow(translatedPort: 1500)) == .allowed(remapped: true))
        #expect(policy.classify(FlowFactory.flow(translatedPort: 2048)) == .violation(remapped: true))
    }
}
