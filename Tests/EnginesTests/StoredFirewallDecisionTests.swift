import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// Issue 25: a violation's `--firewall` decision is made once, while
/// auditing, and kept with it (2 bytes per violation); the report and the
/// writers read it back instead of asking the firewall again.
@Suite("Violation list: the firewall decision stored once")
struct StoredFirewallDecisionTests {
    static let decisions = [
        FirewallDecision(outcome: .dropped, decidedBy: "no rule matches: discarded", origin: "robot.json"),
        FirewallDecision(outcome: .dropped, decidedBy: "rule \"udp\" (input #2): udp (discard)", origin: "robot.json"),
    ]

    static func violations(_ count: Int) -> [Violation] {
        (0..<count).map { index in
            var violation = Violation(
                flow: FlowFactory.flow(
                    id: UInt32(index), pod: "10.244.\(index / 200).\(index % 200 + 1)",
                    translatedPort: UInt16(1024 + index % 20_000)))
            violation.firewallDecision = index % 3 == 0 ? nil : decisions[index % 2]
            return violation
        }
    }

    @Test func everyViolationGivesBackItsDecision() {
        let violations = Self.violations(2_500)
        var list = ViolationList(violations)
        #expect(Array(list) == violations)
        list.sortWorstFirst()
        #expect(Array(list).map(\.firewallDecision) == violations.sorted(by: Violation.worstFirst).map(\.firewallDecision))
    }

    @Test func theWorstKeptKeepTheirOwnDecisionWhenOthersAreEvicted() {
        let violations = Self.violations(600)
        var list = ViolationList(retention: .worst(50))
        for violation in violations { list.append(violation) }
        let byID = Dictionary(uniqueKeysWithValues: violations.map { ($0.flow.id, $0.firewallDecision) })
        #expect(list.count == 50)
        for kept in list { #expect(kept.firewallDecision == byID[kept.flow.id]!, "flow \(String(describing: kept.flow.id))") }
    }

    @Test func theAuditStoresWhatTheFirewallDecided() throws {
        let gateway = """
            *filter
            :FORWARD DROP [0:0]
            -A FORWARD -p tcp --dport 32768:65535 -j ACCEPT
            COMMIT
            """
        let firewall = try FirewallFile.parse(Array(gateway.utf8), path: "gw.rules")
        var accumulator = AuditAccumulator(policy: AuditPolicy(firewall: firewall, podNetworks: [try IPNetwork(parsing: "10.244.0.0/16")]))
        accumulator.add(FlowFactory.flow(id: 1, translatedPort: 1500))
        accumulator.add(FlowFactory.flow(id: 2, translatedPort: 40000))
        let stored = try #require(accumulator.violations.first?.firewallDecision)
        #expect(accumulator.violations.count == 1)
        #expect(stored == firewall.decide(FlowFactory.flow(id: 1, translatedPort: 1500)))
        #expect(stored.outcome == .dropped)
    }
}
