import Foundation
import Testing

/// Real firewall managers as the lab's gateway: Debian's ufw and firewalld
/// write the gateway's rules inside the lab's gateway namespace
/// (scripts/firewall-manager.sh: private mount namespace over scratch copies
/// of their configuration, a private D-Bus for firewalld), the lab's
/// traffic runs through them, and ctaudit judges their real exports in
/// every form against what the traffic did and conntrack's own listing.
/// Before and after, the root namespace's rules must be exactly as they were.
@Suite("Firewall managers as the lab gateway")
struct FirewallManagerLabTests {
    static let pods = FirewallLab.pods

    /// The root namespace's rule sets (timestamps dropped): must never change.
    static func rootRules() throws -> String {
        try Shell.sh("{ iptables-save; ip6tables-save; nft list ruleset; } 2>/dev/null | { grep -v '^#' || true; }").stdout
    }

    /// Runs the manager in the lab's gateway (its own drop rules flushed
    /// first) and exports what it wrote: iptables-save + ip6tables-save, and nft -j.
    static func gateway(_ lab: Lab, tool: [String], directory: URL) throws -> (iptables: String, nft: String) {
        let gateway = "\(lab.prefix)-gw"
        try Shell.sh("ip netns exec \(gateway) iptables -F FORWARD && ip netns exec \(gateway) ip6tables -F FORWARD")
        let result = try Shell.run(
            "/bin/bash",
            [Shell.packageRoot.appendingPathComponent("scripts/firewall-manager.sh").path]
                + [tool[0], gateway, "int0", "srv0"] + tool.dropFirst())
        #expect(result.status == 0, "firewall-manager: \(result.stderr)")
        let iptables = directory.appendingPathComponent("gateway.rules").path
        try Shell.sh("(ip netns exec \(gateway) iptables-save; ip netns exec \(gateway) ip6tables-save) > \(iptables)")
        let nft = directory.appendingPathComponent("gateway.nft.json").path
        try Shell.sh("ip netns exec \(gateway) nft -j list ruleset > \(nft)")
        return (iptables, nft)
    }

    /// ufw/firewalld in the gateway, lab traffic, then audit (all formats'
    /// verdicts) and check on each export.
    /// `nftForm`: what the nft -j export must say. iptables-nft rules show
    /// there as xt matches without their options; where those decide (the
    /// ESTABLISHED and INVALID rules of firewalld's iptables backend) the
    /// honest answer is uncertain, and the note says to give iptables-save.
    func judge(_ tool: [String], tag: String, nftForm: String = "clean") throws {
        let before = try Self.rootRules()
        let lab = try Lab.up(tag)
        defer { lab.down() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-fwm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let exports = try Self.gateway(lab, tool: tool, directory: directory)

        // The traffic: a stateful gateway answers every connection, both families.
        let connections = try lab.traffic(pairs: 4)
        #expect(!connections.isEmpty && connections.allSatisfy { !$0.timedOut }, "\(connections.filter(\.timedOut))")
        #expect(Set(connections.map(\.family)) == ["ipv4", "ipv6"])
        // conntrack's own listing: every source-NATed entry got its reply.
        let listed = try ConntrackCLIEntry.list(netns: lab.nodeNamespace, sourceNATed: true)
        #expect(!listed.isEmpty && listed.allSatisfy { !$0.unreplied }, "\(listed.filter(\.unreplied))")

        for file in [exports.iptables, exports.nft] {
            if file == exports.nft, nftForm == "uncertain" {
                let audit = try FirewallLab.ctaudit(["audit", "--no-config", "--netns", lab.nodeNamespace, "--firewall", file] + Self.pods)
                #expect(audit.status == 4, "\(file): \(audit.stdout)")
                #expect(audit.stdout.contains("uncertain:") && audit.stdout.contains("xt match conntrack"), "\(audit.stdout)")
                #expect(audit.stdout.contains("'iptables-save' output of the same rules is judged in full"))
                continue
            }
            let audit = try FirewallLab.ctaudit(
                [
                    "audit", "--no-config", "--netns", lab.nodeNamespace, "--format", "json",
                    "--firewall", file,
                ] + Self.pods)
            #expect(audit.status == 0, "\(tool[0]) \(file): exit \(audit.status) \(audit.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any] ?? [:]
            let summary = object["summary"] as? [String: Any] ?? [:]
            #expect(object["verdict"] as? String == "clean", "\(file): \(object["verdict"] ?? "?")")
            #expect(summary["violations"] as? Int == 0 && summary["uncertain"] as? Int == 0, "\(file): \(summary)")
            // Every source-NATed entry conntrack lists was audited (all are pod flows here).
            #expect(summary["snat"] as? Int == listed.count, "\(file): snat \(summary["snat"] ?? "?") vs conntrack \(listed.count)")
            let admitted =
                ((object["policy"] as? [String: Any])?["firewall"] as? [String: Any])?["admission"] as? [String: [String: Any]] ?? [:]
            #expect(admitted.count == 4 && admitted.values.allSatisfy { $0["words"] as? String == "0-65535" }, "\(file): \(admitted)")
            for format in ["text", "ndjson", "prometheus", "html"] {
                let other = try FirewallLab.ctaudit(
                    [
                        "audit", "--no-config", "--netns", lab.nodeNamespace, "--format", format,
                        "--firewall", file,
                    ] + Self.pods)
                #expect(other.status == 0, "\(file) \(format): \(other.stderr)")
            }
            // The lab's pods: the kernel default and pod3's 1024-2047.
            let check = try FirewallLab.ctaudit(
                [
                    "check", "--no-config", "--netns", lab.nodeNamespace,
                    "--port-range", "32768-60999", "--port-range", "1024-2047",
                    "--firewall", file,
                ] + Self.pods)
            #expect(check.status == 0, "\(tool[0]) check \(file): \(check.stdout) \(check.stderr)")
            #expect(check.stdout.contains("verdict: SAFE"), "\(check.stdout)")
        }
        #expect(try Self.rootRules() == before, "the root namespace's rules changed")
    }

    @Test(
        "ufw's defaults, as a routing gateway: clean and safe, IPv4 and IPv6, iptables-save and nft -j",
        .enabled(if: Shell.isRoot && Shell.has("ufw"), "needs root and ufw (make test-deps installs it)"))
    func ufw() throws {
        try judge(["ufw"], tag: "fwmu")
    }

    @Test(
        "firewalld (nftables backend) as a zone-to-zone gateway",
        .enabled(if: Shell.isRoot && Shell.has("firewalld") && Shell.has("dbus-daemon"), "needs root, firewalld and dbus-daemon"))
    func firewalldNftables() throws {
        try judge(["firewalld", "nftables"], tag: "fwmf")
    }

    @Test(
        "firewalld (iptables backend: raw, mangle, filter, security tables)",
        .enabled(if: Shell.isRoot && Shell.has("firewalld") && Shell.has("dbus-daemon"), "needs root, firewalld and dbus-daemon"))
    func firewalldIptables() throws {
        try judge(["firewalld", "iptables"], tag: "fwmi", nftForm: "uncertain")
    }
}
