import Foundation
import Testing

/// The fix `ctaudit audit` prints, applied as printed: the lab's node keeps its
/// plain MASQUERADE rule (as a real node would), the commands from the JSON
/// report go in with `sh -c`, and the incident's traffic then has to work.
/// This is what caught the old `-A POSTROUTING` advice: an appended rule sits
/// behind the node's MASQUERADE and never matches.
@Suite(
    "audit: the printed fix works on the lab",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("conntrack"), "needs conntrack(8) to flush the lab node's table"))
struct AuditRemedyKernelTests {
    /// The lab's pod networks, and a second IPv4 one (as on a node with two
    /// IP pools) so that the printed chain has to skip both.
    static let podCIDRs = ["10.244.0.0/24", "10.245.0.0/24", "fd00:10:244::/64"]

    /// Runs `ctaudit audit --format json` on the lab's node.
    static func audit(_ lab: Lab) throws -> (status: Int32, json: [String: Any]) {
        let result = try Shell.run(
            Shell.ctauditBinary,
            ["audit", "--netns", lab.nodeNamespace, "--format", "json"]
                + podCIDRs.flatMap { ["--pod-cidr", $0] })
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "ctaudit audit: \(result.stderr)")
        return (result.status, object)
    }

    static func shellQuoted(_ text: String) -> String { Shell.quoted(text) }

    @Test func theIptablesLinesAuditPrintsEndTheViolationsAndTimeouts() throws {
        let lab = try Lab.up("ctx")
        defer { lab.down() }

        let before = try lab.traffic(pairs: 8)
        let (status, report) = try Self.audit(lab)
        #expect(status == 1)
        let violations = try #require((report["summary"] as? [String: Int])?["violations"])
        try #require(violations > 0 && before.contains(where: \.timedOut), "the lab must reproduce the incident first")

        let remedies = try #require(report["remedies"] as? [[String: Any]])
        // The one fix marked "applies here": the node's own rules pinned
        // (one insert per protocol --to-ports takes, per family), built from
        // the rules as check reads them.
        let applying = remedies.filter { $0["applies"] as? Bool == true }
        #expect(applying.count == 1, "\(remedies)")
        let commands = applying.flatMap { $0["commands"] as? [String] ?? [] }
        #expect(commands.count == 8, "\(commands)")
        #expect(commands.allSatisfy { $0.contains(" -I POSTROUTING ") && $0.contains("--to-ports 32768-65535") }, "\(commands)")
        // Issue 23.3: check's applying fix for the same node is the same set of commands.
        let check = try Shell.run(
            Shell.ctauditBinary,
            ["check", "--netns", lab.nodeNamespace, "-o", "json"]
                + Self.podCIDRs.flatMap { ["--pod-cidr", $0] })
        let checkReport = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any], "\(check.stderr)")
        let checkApplying = (checkReport["remedies"] as? [[String: Any]] ?? []).filter { $0["applies"] as? Bool == true }
        #expect(Set(checkApplying.flatMap { $0["commands"] as? [String] ?? [] }) == Set(commands))
        // Calico's fix is for another setup: in the JSON with applies false, not in the text.
        #expect(remedies.contains { $0["kind"] as? String == "calico-nat-port-range" && $0["applies"] as? Bool == false })
        let textBefore = try Shell.run(
            Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace] + Self.podCIDRs.flatMap { ["--pod-cidr", $0] })
        #expect(!textBefore.stdout.contains("natPortRange"), "\(textBefore.stdout)")
        #expect(textBefore.stdout.contains("fix (applies here): "))
        for command in commands {
            try Shell.sh("ip netns exec \(lab.nodeNamespace) sh -c \(Self.shellQuoted(command))")
        }
        // Entries made before the fix keep their old mapping until they expire
        // (UDP 120 s in the lab); a node would age them out, the test flushes
        // its own node namespace's table so that the rerun starts clean.
        try Shell.sh("ip netns exec \(lab.nodeNamespace) conntrack -F 2>/dev/null")

        let after = try lab.traffic(pairs: 8, basePort: 41000)
        #expect(after.count == before.count)
        #expect(after.filter(\.timedOut).isEmpty, "timed out after the fix: \(after.filter(\.timedOut))")
        let (statusAfter, reportAfter) = try Self.audit(lab)
        let summary = try #require(reportAfter["summary"] as? [String: Int])
        #expect(summary["violations"] == 0, "\(reportAfter["violations"] ?? "")")
        #expect(statusAfter == 0)
        // pod2's clashes were still remapped, and pod3's low ports moved: the pin did the work.
        #expect((summary["remapped"] ?? 0) >= 32)

        // Issue 12: audit and check describe one node. pod3's own range
        // (1024-2047) no longer matters: its TCP/UDP reaches only the pinned
        // rules, so audit stops calling it blocked and check calls the node safe.
        let text = try Shell.run(
            Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace] + Self.podCIDRs.flatMap { ["--pod-cidr", $0] })
        #expect(text.status == 0, "\(text.stdout)")
        #expect(!text.stdout.contains("blocked"), "\(text.stdout)")
        #expect(text.stdout.contains("still kept for udplite"), "the protocol that still reaches the old rule is named: \(text.stdout)")
        let pods = try #require((reportAfter["kubernetes"] as? [String: Any])?["pod_port_ranges"] as? [[String: Any]])
        #expect(pods.allSatisfy { $0["blocking"] as? Bool == false }, "\(pods)")
        for arguments in [
            ["check", "--netns", lab.nodeNamespace, "--pods"] + Self.podCIDRs.flatMap { ["--pod-cidr", $0] },
            ["check", "--netns", lab.nodeNamespace, "--pods"],
        ] {
            let check = try Shell.run(Shell.ctauditBinary, arguments)
            #expect(check.status == 0, "\(arguments): \(check.stdout) \(check.stderr)")
            #expect(check.stdout.contains("verdict: SAFE"))
            #expect(!check.stdout.contains("BROKEN"))
        }
    }

    /// A pod whose whole port range is blocked while the node's masquerade
    /// keeps ports fails every connection: exit 1 even before any traffic.
    @Test func aPodBlockedEntirelyWithoutAPinFailsTheAuditBeforeAnyTraffic() throws {
        let lab = try Lab.up("ctb")
        defer { lab.down() }
        let result = try Shell.run(
            Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace] + Self.podCIDRs.flatMap { ["--pod-cidr", $0] })
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("blocked 1024-2047 (100%) for tcp, udp"), "\(result.stdout)")
        #expect(result.stdout.contains("pods blocked:"))
        // The fixes come with it: the pin for this node's iptables rules, or the pod's sysctl.
        #expect(
            result.stdout.contains(" pod(s) use only ports outside 32768-65535 and masquerade keeps them")
                && result.stdout.contains("fix (applies here):"), "\(result.stdout)")
        #expect(
            result.stdout.contains(
                "iptables -t nat -I POSTROUTING 1 -p tcp -s 10.244.0.0/24 ! -d 10.244.0.0/24 -j MASQUERADE --to-ports 32768-65535"))
        #expect(result.stdout.contains("net.ipv4.ip_local_port_range=\"32768 60999\""))
    }
}
