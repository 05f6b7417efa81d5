import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// Issue 22, part 5: a NAT rule is judged only by the pods whose traffic
/// can reach it. The real CNI bridge plugin (fixture captured from
/// containernetworking-plugins by scripts/capture-rules.sh) writes one chain
/// per pod, reached by `-s POD/32`; `check --pods` called every pod's chain
/// BROKEN "from 1024-20000" though only one pod had that range.
@Suite("check: rules judged by the pods that reach them")
struct CheckPodReachTests {
    static let directory = RuleFixtures.directory
    static let pods = [try! IPNetwork(parsing: "10.88.0.0/24"), try! IPNetwork(parsing: "fd00:10:88::/64")]

    static func groups(_ edit: (String) -> String = { $0 }) throws -> [[NATRule]] {
        try ["iptables", "ip6tables"].map { tool in
            let text = try String(contentsOf: directory.appendingPathComponent("cni-bridge-portmap.\(tool)"), encoding: .utf8)
            return try IptablesSaveParser(origin: tool).parse(edit(text)).rules
        }
    }

    /// As `check --pods` reads them: pod a on the default range, pod b low,
    /// and a pod of some other network (another lab, another node's copy) low too.
    static let sources = [
        PortSource(
            range: PortRange(low: 32768, high: 60999)!, origin: .namespace, users: ["pod-a", "node"],
            addresses: [
                "pod-a": [IPAddress("10.88.0.2")!, IPAddress("fd00:10:88::2")!],
                "node": [IPAddress("10.88.0.1")!, IPAddress("198.51.100.2")!],
            ]),
        PortSource(
            range: PortRange(low: 1024, high: 20000)!, origin: .namespace, users: ["pod-b", "elsewhere"],
            addresses: [
                "pod-b": [IPAddress("10.88.0.3")!, IPAddress("fd00:10:88::3")!],
                "elsewhere": [IPAddress("10.244.0.9")!],
            ]),
    ]

    @Test func eachPodsChainIsJudgedByThatPodsRangeOnly() throws {
        let findings = RuleChecker(allowed: .defaultAllowed, podNetworks: Self.pods, sources: Self.sources).check(try Self.groups())
        try #require(findings.count == 6, "\(findings.map(\.rule.location))")
        for family in [RuleFamily.ipv4, .ipv6] {
            let own = findings.filter { $0.rule.family == family }
            let podA = try #require(own.first { $0.rule.comment?.contains("ctcap-pod-a") == true })
            let podB = try #require(own.first { $0.rule.comment?.contains("ctcap-pod-b") == true })
            #expect(podA.verdict == .atRisk, "\(podA.reason)")
            #expect(podA.predictions.map(\.source.users) == [["pod-a"]])
            #expect(podB.verdict == .broken)
            #expect(podB.predictions.map(\.source.users) == [["pod-b"]], "not the pod of another network with the same range")
            #expect(podB.remedies.contains { $0.kind == .podPortRange && $0.summary.contains("(pod-b: source ports 1024-20000)") })
            #expect(!podA.remedies.contains { $0.kind == .podPortRange })
            let hairpin = try #require(own.first { $0.rule.chain == "CNI-HOSTPORT-MASQ" })
            #expect(hairpin.verdict == .safe && hairpin.predictions.isEmpty)
            #expect(hairpin.reason.contains("portmap plugin's hairpin masquerade"))
        }
        // A rule no namespace read can reach is judged by the kernel default, and says so.
        let gone = RuleChecker(allowed: .defaultAllowed, podNetworks: Self.pods, sources: [Self.sources[1]]).check(try Self.groups())
        let podA = try #require(gone.first { $0.rule.comment?.contains("ctcap-pod-a") == true })
        #expect(podA.verdict == .atRisk && podA.predictions.map(\.source) == [.assumedPods])
        #expect(podA.reason.contains("no namespace read has an address its source match (10.88.0.2/32) admits"))
    }

    /// The fixes check prints for pod b's chain (pinned copies before its
    /// MASQUERADE, one per protocol --to-ports takes) end pod b's blocked range in audit too; portmap's hairpin
    /// rule does not keep it blocked.
    @Test func auditJudgesAPodByTheRulesItReaches() throws {
        let policy = AuditPolicy(podNetworks: Self.pods)
        let blocked = PortRangeSet([PortRange(low: 1024, high: 20000)!])
        let before = NodeNATRules.judge(try Self.groups(), policy: policy)
        #expect(before.protocolsKeeping(blocked, from: IPAddress("10.88.0.3")!, policy: policy) == [.tcp, .udp, .sctp, .dccp, .udplite])
        let findings = RuleChecker(allowed: .defaultAllowed, podNetworks: Self.pods, sources: Self.sources).check(try Self.groups())
        let fix = try #require(
            findings.first { $0.rule.family == .ipv4 && $0.rule.comment?.contains("ctcap-pod-b") == true }?
                .remedies.first { $0.kind == .pinNATRange })
        #expect(
            fix.commands == [
                "iptables -t nat -I CNI-95500281c33a1a35afd6eca7 2 -p tcp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I CNI-95500281c33a1a35afd6eca7 3 -p udp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I CNI-95500281c33a1a35afd6eca7 4 -p sctp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I CNI-95500281c33a1a35afd6eca7 5 -p dccp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535",
            ])
        let pinned = try Self.groups { text in
            text.replacingOccurrences(
                of: "-A CNI-95500281c33a1a35afd6eca7 ! -d 224.0.0.0/4",
                with: "-A CNI-95500281c33a1a35afd6eca7 -p tcp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535\n"
                    + "-A CNI-95500281c33a1a35afd6eca7 -p udp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535\n"
                    + "-A CNI-95500281c33a1a35afd6eca7 -p sctp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535\n"
                    + "-A CNI-95500281c33a1a35afd6eca7 -p dccp ! -d 224.0.0.0/4 -j MASQUERADE --to-ports 32768-65535\n"
                    + "-A CNI-95500281c33a1a35afd6eca7 ! -d 224.0.0.0/4")
        }
        let after = NodeNATRules.judge(pinned, policy: policy)
        #expect(after.protocolsKeeping(blocked, from: IPAddress("10.88.0.3")!, policy: policy) == [.udplite])
        // Pod a's chain still keeps ports: its own range would matter there.
        #expect(after.protocolsKeeping(blocked, from: IPAddress("10.88.0.2")!, policy: policy).contains(.tcp))
    }

    static func rule(_ conditions: [String], tool: NATTool = .iptables, family: RuleFamily = .ipv4) -> NATRule {
        NATRule(
            tool: tool, family: family, table: "nat", chain: "C", chainPath: ["POSTROUTING", "C"], position: 1,
            action: .masquerade, protocols: .all, conditions: conditions, matchText: "", ports: PortBehaviour(), text: "", origin: "t")
    }

    @Test(
        "source matches, jumps and guards",
        arguments: [
            (["-s 10.88.0.2/32"], "10.88.0.2", true),
            (["-s 10.88.0.2/32"], "10.88.0.3", false),
            (["-s 10.88.0.0/24", "! -d 224.0.0.0/4"], "10.88.0.9", true),
            (["! -s 10.88.0.0/24"], "10.88.0.9", false),
            (["-s 10.88.0.0/16", "-s 10.88.1.0/24"], "10.88.0.9", false),  // a jump's -s and the rule's own
            (["not(-s 10.88.0.0/25)", "-s 10.88.0.0/24"], "10.88.0.9", false),  // a RETURN for those sources before it
            (["not(-s 10.88.0.0/25 -p tcp)", "-s 10.88.0.0/24"], "10.88.0.9", true),  // only their TCP returned
            (["not(-d 10.88.0.0/24)", "-s 10.88.0.0/24"], "10.88.0.9", true),
            (["-s 10.88.0.2/32"], "fd00::2", false),
            (["ip saddr 10.88.0.2", "ip daddr != 224.0.0.0/4"], "10.88.0.2", true),
            (["ip saddr 10.88.0.2"], "10.88.0.3", false),
            (["ip saddr != 10.88.0.0/24"], "10.88.0.3", false),
            (["ip saddr { 10.88.0.2, 10.88.0.4 }"], "10.88.0.4", true),
            (["ip saddr { 10.88.0.2, 10.88.0.4 }"], "10.88.0.3", false),
            (["ip saddr @pods"], "10.88.0.3", true),  // a named set: unknown, so it may reach
            (["ip6 saddr fd00:10:88::2"], "fd00:10:88::2", true),
            (["-m mark --mark 0x4000/0x4000"], "10.88.0.3", true),
        ])
    func admitsSource(conditions: [String], address: String, admits: Bool) {
        let family: RuleFamily = conditions.contains { $0.contains("ip saddr") || $0.contains("ip6 saddr") } ? .inet : .ipv4
        let rule = Self.rule(conditions, tool: family == .inet ? .nft : .iptables, family: family)
        #expect(rule.admitsSource(IPAddress(address)!) == admits)
    }
}
