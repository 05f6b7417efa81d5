import Testing
import Conntrack
import Policy
import NodeState
import Engines
import Reports

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

@Suite("Accumulating an audit")
struct AuditAccumulatorTests {
    @Test func countsAndKeepsOnlyViolations() {
        var accumulator = AuditAccumulator(policy: AuditPolicy())
        accumulator.add(FlowFactory.flow(id: 1, translatedPort: 1500))                              // violation, unreplied
        accumulator.add(FlowFactory.flow(id: 2, sport: 1600, translatedPort: 1600,
                                         status: [.sourceNAT, .seenReply, .assured]))                // kept-port violation
        accumulator.add(FlowFactory.flow(id: 3, translatedPort: 40001))                             // remapped, allowed
        accumulator.add(FlowFactory.flow(id: 4, status: [.confirmed]))                              // not NATed
        accumulator.add(FlowFactory.flow(id: 5, proto: .icmp))                                      // no ports
        // Another entry whose CTA_ID collides with 1's (ids are 32-bit hashes):
        // a real violation, kept (resends are dropped by the dump, by identity).
        accumulator.add(FlowFactory.flow(id: 1, sport: 40002, translatedPort: 1501))
        let summary = accumulator.summary
        #expect(summary.flowsRead == 6)
        #expect(summary.snat == 5)
        #expect(summary.remapped == 3)
        #expect(summary.violations == 3)
        #expect(summary.violationsUnreplied == 2)
        #expect(summary.violationsKeptPort == 1)
        #expect(summary.withoutPorts == 1)
        #expect(accumulator.violations.count == 3)
        // Worst first: the unreplied one leads.
        #expect(accumulator.sortedViolations().first?.flow.id == 1)
    }
}
