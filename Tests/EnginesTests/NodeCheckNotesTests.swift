import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// `check`'s report says what it could not read, and how to give it, in the
/// caller's words (`NodeCheck.hints`): the CLI only prints it.
@Suite("check: the report's notes are the engine's")
struct NodeCheckNotesTests {
    static let rules = RuleFixtures.files("plain-masquerade").iptables

    @Test("no pod port range read or declared: the note says so, and how to give one in the caller's words")
    func assumedPortRangeNote() throws {
        let plain = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: Self.rules).run()
        #expect(plain.notes.contains(NodeCheck.assumedPortRangeNote))

        var check = NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: Self.rules)
        check.hints = .marked
        let worded = try check.run()
        #expect(worded.notes.contains(NodeCheck.assumedPortRangeNote + " (use «podPortRanges»)"))
        #expect(!worded.notes.contains(NodeCheck.assumedPortRangeNote))
        #expect(worded.hints(.podPortRanges) == "«podPortRanges»")
    }

    @Test("a declared port range leaves the note out")
    func declaredRangeHasNoNote() throws {
        let report = try NodeCheck(
            allowed: .defaultAllowed, iptablesSaveFiles: Self.rules,
            declaredPortRanges: [PortRange(low: 40000, high: 40999)!]
        ).run()
        #expect(!report.notes.contains { $0.hasPrefix(NodeCheck.assumedPortRangeNote) })
    }

    @Test("with a firewall: the report carries it, and its notes come first, in the caller's words")
    func firewallNotesFirst() throws {
        let firewall = try FirewallFixtures.load("robot-incident.json")
        var check = NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: Self.rules)
        check.firewallPolicy = AuditPolicy(firewall: firewall)
        check.hints = .marked
        let report = try check.run()
        let expected = firewall.checkNotes(hints: .marked, nodes: report.nodeAddresses)
        #expect(Array(report.notes.prefix(expected.count)) == expected)
        #expect(report.notes.first?.contains("«firewallFiles»") == true)
        #expect(report.firewall == firewall)

        let withoutFirewall = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: Self.rules).run()
        #expect(withoutFirewall.firewall == nil)
        #expect(!withoutFirewall.notes.contains { $0.hasPrefix("allowed ports come from") })
    }
}
