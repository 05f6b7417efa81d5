import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// One remedy engine (issue 23.3): audit, check and the watch summary print
/// the same fix for the same node, built from its NAT rules when they can be
/// read; exactly one fix is marked "applies here" whenever one fits; fixes
/// for other setups are in JSON only.
@Suite("Remedies: one engine for audit, check and watch")
struct NodeRemediesTests {
    static let pods = ["10.244.0.0/16", "fd00:10:244::/64"].map { try! IPNetwork(parsing: $0) }

    /// The node's rules from iptables-save files, judged as audit judges them.
    static func rules(_ fixture: String, policy: AuditPolicy) throws -> NodeNATRules {
        let set = try RuleSetReader.load(iptablesSave: RuleFixtures.files(fixture).iptables, nftJSON: [])
        return NodeNATRules.judge(set.groups, policy: policy)
    }

    /// An audit of the incident: pod2's remapped flows and pod3's kept low ports, both families.
    static func audit(_ fixture: String?, policy: AuditPolicy = AuditPolicy(podNetworks: pods)) throws -> AuditReport {
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000)
        accumulator.add(FlowFactory.flow(id: 1, sport: 40001, translatedPort: 1500))
        accumulator.add(FlowFactory.flow(id: 2, proto: .udp, pod: "10.244.0.4", sport: 1100, dport: 5353, translatedPort: 1100))
        accumulator.add(
            FlowFactory.flow(
                id: 3, pod: "fd00:10:244::3", sport: 40003, server: "2001:db8:2::10",
                node: "2001:db8:1::2", translatedPort: 9000))
        var report = AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-12-04T00:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(),
            dump: DumpResult(), tableSize: nil)
        if let fixture {
            let rules = try Self.rules(fixture, policy: policy)
            report.natRuleFindings = rules.findings
            report.natRuleTools = rules.toolsDescription
        } else {
            report.natRulesError = "iptables-save: not found"
        }
        return report
    }

    static func check(_ fixture: String, firewall: FirewallPolicy? = nil) throws -> CheckReport {
        let allowed = firewall?.admittedForAll ?? .defaultAllowed
        var report = try NodeCheck(allowed: allowed, podNetworks: pods, iptablesSaveFiles: RuleFixtures.files(fixture).iptables).run()
        report.firewall = firewall
        return report
    }

    static func marked(_ remedies: [Remedy]) -> [Remedy] { remedies.filter { $0.role == .appliesHere } }

    @Test(
        "audit's applying fix equals check's, command for command",
        arguments: ["plain-masquerade", "k3s-flannel", "microk8s", "random-fully", "calico"])
    func auditAndCheckGiveTheSameFix(fixture: String) throws {
        let audit = Self.marked(try Self.audit(fixture).remedies)
        let check = Self.marked(try Self.check(fixture).remedies)
        #expect(audit.count == 1 && check.count == 1, "\(audit.map(\.summary)) / \(check.map(\.summary))")
        #expect(Set(audit.flatMap(\.commands)) == Set(check.flatMap(\.commands)))
        #expect(!audit.flatMap(\.commands).isEmpty)
        #expect(audit.first?.kind == check.first?.kind)
    }

    @Test func theWatchSummaryGivesTheSameFix() throws {
        let policy = AuditPolicy(podNetworks: Self.pods)
        var summary = WatchSummary()
        summary.violations = 3
        summary.violationsKeptPort = 1
        summary.lowestViolationPort = 1100
        var counters = WatchCounters()
        counters.add(\.violating, WatchCounters.Key(family: .ipv4, proto: .tcp))
        let rules = try Self.rules("plain-masquerade", policy: policy)
        let watch = NodeRemedies(watch: summary, counters: counters, policy: policy, natRules: .read(rules.findings)).remedies
        let audit = try Self.audit("plain-masquerade").remedies
        #expect(Self.marked(watch).flatMap(\.commands) == Self.marked(audit).flatMap(\.commands))
        #expect(watch.contains { $0.kind == .podPortRange } && watch.last?.kind == .widenFirewall)
    }

    /// The per-rule form pins every protocol iptables can pin, so a pod's
    /// SCTP or DCCP connection does not keep its low port through the old rule.
    @Test func theExactFormPinsEachRuleBeforeIt() throws {
        let fix = try #require(Self.marked(try Self.check("plain-masquerade").remedies).first)
        #expect(
            fix.commands == [
                "iptables -t nat -I POSTROUTING 1 -p tcp -s 10.244.0.0/16 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I POSTROUTING 2 -p udp -s 10.244.0.0/16 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I POSTROUTING 3 -p sctp -s 10.244.0.0/16 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I POSTROUTING 4 -p dccp -s 10.244.0.0/16 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "ip6tables -t nat -I POSTROUTING 1 -p tcp -s fd00:10:244::/64 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "ip6tables -t nat -I POSTROUTING 2 -p udp -s fd00:10:244::/64 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "ip6tables -t nat -I POSTROUTING 3 -p sctp -s fd00:10:244::/64 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
                "ip6tables -t nat -I POSTROUTING 4 -p dccp -s fd00:10:244::/64 ! -o br0 -j MASQUERADE --to-ports 32768-65535",
            ])
        #expect(fix.summary.contains("iptables nat POSTROUTING #1, ip6tables nat POSTROUTING #1: insert"))
    }

    /// Calico on a plain-iptables node is another setup: in JSON
    /// (`applies: false`), never in the text.
    @Test func calicoIsAnotherSetupOnAPlainNodeAndTheFixOnACalicoNode() throws {
        let plain = try Self.audit("plain-masquerade").remedies
        let felix = try #require(plain.first { $0.kind == .calicoNATPortRange })
        #expect(felix.role == .otherSetup && felix.appliesHere == false && !felix.isShown)
        let calico = try Self.audit("calico").remedies
        let marked = Self.marked(calico)
        #expect(marked.map(\.kind) == [.calicoNATPortRange])
        #expect(!calico.contains { $0.role == .otherSetup })
    }

    /// Rules that could not be read: the generic forms (the chain, the nft
    /// statement, Calico), the reason in the fix, none marked.
    @Test func unreadRulesGiveTheGenericFormsUnmarked() throws {
        let remedies = try Self.audit(nil).remedies
        #expect(Self.marked(remedies).isEmpty)
        let generic = remedies.filter { $0.role == .generic }
        #expect(generic.map(\.kind) == [.pinNATRange, .pinNATRange, .calicoNATPortRange])
        #expect(generic[0].commands.contains("iptables -t nat -N CTAUDIT-PIN"))
        #expect(generic[0].summary.contains("the node's NAT rules could not be read (iptables-save: not found)"))
        let advice = RemedyAdvice(remedies, ruleTools: nil)
        #expect(advice.headline?.contains("were not read") == true)
    }

    /// With --firewall: one fix marked (the NAT pin to what the firewall
    /// admits), the pods' own range for kept ports, and the firewall's rule
    /// named in its own terms.
    /// A firewall that admits TCP and UDP replies to different ports: audit
    /// and check pin each protocol to its own range, with the same commands.
    @Test func perProtocolPinsAreTheSameInAuditAndCheck() throws {
        let gateway = """
            *filter
            :FORWARD DROP [0:0]
            -A FORWARD -p tcp --dport 32768:65535 -j ACCEPT
            -A FORWARD -p udp --dport 1024:65535 -j ACCEPT
            COMMIT
            """
        let firewall = try FirewallFile.parse(Array(gateway.utf8), path: "gw.rules")
        let policy = AuditPolicy(firewall: firewall, podNetworks: Self.pods)
        let audit = Self.marked(try Self.audit("plain-masquerade", policy: policy).remedies)
        var node = NodeCheck(
            allowed: firewall.admittedForAll, podNetworks: Self.pods,
            iptablesSaveFiles: RuleFixtures.files("plain-masquerade").iptables)
        node.firewallPolicy = policy
        let check = Self.marked(try node.run().remedies)
        let commands = audit.flatMap(\.commands)
        #expect(audit.count == 1 && check.count == 1, "\(audit.map(\.summary)) / \(check.map(\.summary))")
        #expect(Set(commands) == Set(check.flatMap(\.commands)))
        #expect(commands.contains { $0.contains("-p tcp") && $0.hasSuffix("--to-ports 32768-65535") }, "\(commands)")
        #expect(commands.contains { $0.contains("-p udp") && $0.hasSuffix("--to-ports 1024-65535") }, "\(commands)")
    }

    @Test func withAFirewallFileOneFixIsMarkedAndThePodFixIsThere() throws {
        let firewall = try FirewallFixtures.load("robot-replies.json")
        let policy = AuditPolicy(firewall: firewall, podNetworks: Self.pods)
        let report = try Self.audit("plain-masquerade", policy: policy)
        let remedies = report.remedies
        #expect(Self.marked(remedies).count == 1)
        #expect(
            Self.marked(remedies).first?.commands.allSatisfy {
                $0.hasSuffix("--to-ports \(firewall.admittedForAll.widest!.low)-\(firewall.admittedForAll.widest!.high)")
            } == true)
        #expect(remedies.contains { $0.kind == .podPortRange }, "\(report.summary) \(remedies.map(\.summary))")
        let upstream = remedies.filter { $0.kind == .widenFirewall }
        #expect(upstream.count == 1 && upstream.allSatisfy { $0.summary.contains("robot-replies.json") })
        // In Robot's own terms: the rule by name, the field to change.
        #expect(upstream[0].summary.contains("rule \"TCP replies\"") && upstream[0].summary.contains("rule \"UDP replies\""))
        #expect(upstream[0].commands.contains { $0.contains("set dst_port to \"1024-65535\"") })
        // check names the same firewall rule for the ports NAT can pick.
        let check = try Self.check("plain-masquerade", firewall: firewall).remedies
        #expect(Set(check.filter { $0.kind == .widenFirewall }.flatMap(\.commands)) == Set(upstream.flatMap(\.commands)))
        #expect(Self.marked(check).flatMap(\.commands) == Self.marked(remedies).flatMap(\.commands))
    }

    /// Nothing to pin on the NAT side (only a BPF dataplane violates): its
    /// setting is the marked fix.
    @Test func aDataplaneOnlyProblemMarksTheDataplaneFix() throws {
        var report = CheckReport(
            host: "h", netns: nil, generatedAt: "t", allowed: .defaultAllowed, podNetworks: [],
            inputs: [], sources: [], nodePortRange: nil, findings: [], notes: [])
        report.dataplanes = [DataplaneCheck(allowed: .defaultAllowed, bpffs: nil, config: DataplaneConfig()).calicoFinding(detectedBy: [])]
        let marked = Self.marked(report.remedies)
        #expect(marked.map(\.kind) == [.calicoPSNATPorts])
    }
}

extension NodeRemediesTests {
    /// A firewall that admits no UDP reply at all: no NAT range can help,
    /// so the firewall's change is the marked fix (every rule to change in it).
    @Test func aFirewallThatAdmitsNoUDPMarksTheFirewallChange() throws {
        let firewall = try FirewallFixtures.load("robot-incident.json")
        let report = try Self.audit("plain-masquerade", policy: AuditPolicy(firewall: firewall, podNetworks: Self.pods))
        let marked = Self.marked(report.remedies)
        #expect(marked.map(\.kind) == [.widenFirewall], "\(report.remedies.map(\.summary))")
        #expect(marked.first?.summary.hasPrefix("change the upstream firewall: in ") == true)
        #expect(marked.first?.summary.contains("udp") == true && marked.first?.summary.contains("tcp") == true)
    }
}
