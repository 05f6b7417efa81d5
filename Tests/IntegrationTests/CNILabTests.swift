import Foundation
import Testing

/// Issue 22, parts 5 and 7: the incident lab with its pods attached by the
/// real CNI plugins (Debian's containernetworking-plugins: bridge with
/// ipMasq, host-local, portmap), run through the CNI protocol by
/// scripts/lab_cni.py inside the lab's namespaces. audit against conntrack(8)
/// and the traffic; check judging each pod's own CNI-<hash> chain by that
/// pod's port range; check's printed fix applied in the lab's node, the
/// traffic rerun: no timeout, no violation.
@Suite(
    "real CNI plugins: audit, check and check's fix",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Lab.hasCNIPlugins, "needs containernetworking-plugins (/usr/lib/cni)"),
    .enabled(if: Shell.has("conntrack"), "needs conntrack(8) as the oracle and to flush the lab node's table"))
struct CNILabTests {
    static let podCIDRs = ["--pod-cidr", "10.88.0.0/24", "--pod-cidr", "fd00:10:88::/64"]

    static func run(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
        let result = try Shell.run(Shell.ctauditBinary, arguments + ["--format", "json", "--no-config"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "\(arguments): \(result.stderr)")
        return (result.status, object)
    }

    /// check's rules of one pod's chain (IPv4 and IPv6), found by the plugin's comment.
    static func chainRules(_ check: [String: Any], pod: String) -> [[String: Any]] {
        (check["rules"] as? [[String: Any]] ?? []).filter {
            (($0["match"] as? [String: Any])?["comment"] as? String)?.contains("id: \"\(pod)\"") == true
        }
    }

    static func sourcePorts(_ rule: [String: Any]) -> [String] {
        (rule["predictions"] as? [[String: Any]] ?? []).compactMap { prediction in
            (prediction["source_ports"] as? [String: Int]).map { "\($0["low"] ?? 0)-\($0["high"] ?? 0)" }
        }
    }

    @Test func auditCheckAndTheFixCheckPrintsOnTheRealBridgePlugin() throws {
        let lab = try Lab.up("ccni", cni: true)
        defer { lab.down() }
        let node = lab.nodeNamespace
        // The plugin's own rules: one chain per pod, reached by -s POD/32, and portmap's hairpin chain.
        let rules = try Shell.sh("ip netns exec \(node) iptables-save -t nat").stdout
        for index in 1...3 {
            #expect(
                rules.contains(
                    "-A POSTROUTING -s 10.88.0.\(index + 1)/32 -m comment --comment \"name: \\\"ctlab\\\" id: \\\"\(lab.podNamespace(index))\\\"\" -j CNI-"
                ), "\(rules)")
        }
        #expect(rules.contains("-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE"))

        let before = try lab.traffic(pairs: 8)
        let timedOut = before.filter { $0.timedOut }
        let dropped = try ConntrackCLIEntry.list(netns: node, sourceNATed: true)
            .filter { ["tcp", "udp"].contains($0.proto) && ($0.translatedPort ?? 65535) < 32768 }
        try #require(!timedOut.isEmpty, "the lab must reproduce the incident first")
        #expect(dropped.count == timedOut.count)
        let audit = try Self.run(["audit", "--netns", node] + Self.podCIDRs)
        #expect(audit.status == 1)
        #expect(audit.json["verdict"] as? String == "violations")
        #expect((audit.json["summary"] as? [String: Any])?["violations"] as? Int == dropped.count)
        #expect((audit.json["summary"] as? [String: Any])?["pods_blocked"] as? Int == 1, "pod3 (1024-2047) through its own chain")

        // check --pods: each pod's chain by that pod's range only.
        let check = try Self.run(["check", "--netns", node, "--pods"] + Self.podCIDRs)
        #expect(check.status == 1)
        #expect(check.json["verdict"] as? String == "broken")
        for index in 1...2 {
            let chains = Self.chainRules(check.json, pod: lab.podNamespace(index))
            #expect(chains.count == 2, "IPv4 and IPv6 chain of pod\(index)")
            for chain in chains {
                #expect(chain["verdict"] as? String == "at-risk", "\(chain["reason"] ?? "")")
                #expect(Self.sourcePorts(chain) == ["32768-60999"], "only pod\(index)'s own range: \(Self.sourcePorts(chain))")
            }
        }
        let pod3 = Self.chainRules(check.json, pod: lab.podNamespace(3))
        #expect(pod3.count == 2)
        for chain in pod3 {
            #expect(chain["verdict"] as? String == "broken")
            #expect(Self.sourcePorts(chain) == ["1024-2047"])
        }
        let hairpin = (check.json["rules"] as? [[String: Any]] ?? []).filter { $0["chain"] as? String == "CNI-HOSTPORT-MASQ" }
        #expect(hairpin.count == 2 && hairpin.allSatisfy { $0["verdict"] as? String == "safe" })

        // check's fix, as printed, in the lab's node.
        let remedies = check.json["remedies"] as? [[String: Any]] ?? []
        let commands = remedies.filter { $0["kind"] as? String == "pin-nat-range" }.flatMap { $0["commands"] as? [String] ?? [] }
        #expect(commands.count == 24, "a -p tcp, udp, sctp and dccp copy in each pod's v4 and v6 chain: \(commands)")
        for command in commands {
            try Shell.sh("ip netns exec \(node) sh -c \(Shell.quoted(command))")
        }
        let after = try Self.run(["check", "--netns", node, "--pods"] + Self.podCIDRs)
        #expect(after.status == 0 && after.json["verdict"] as? String == "safe", "\(after.json["rules"] ?? "")")

        // Entries from before keep their mapping until they expire; the test flushes its own node's table.
        try Shell.sh("ip netns exec \(node) conntrack -F 2>/dev/null")
        let rerun = try lab.traffic(pairs: 8, basePort: 41000)
        #expect(rerun.count == before.count)
        #expect(rerun.filter { $0.timedOut }.isEmpty, "timed out after the fix: \(rerun.filter { $0.timedOut })")
        let audited = try Self.run(["audit", "--netns", node] + Self.podCIDRs)
        let summary = try #require(audited.json["summary"] as? [String: Any])
        #expect(summary["violations"] as? Int == 0, "\(audited.json["violations"] ?? "")")
        #expect((summary["remapped"] as? Int ?? 0) >= 32, "pod2's clashes and pod3's low ports were remapped into the pinned range")
        #expect(summary["pods_blocked"] as? Int == 0)
        #expect(audited.status == 0 && audited.json["verdict"] as? String == "clean")
    }
}
