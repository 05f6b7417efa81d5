import Foundation
import Testing

/// Rule drift in watch (issue 26.3) on a real kernel: `watch --listen` with
/// `--check-interval 1s` against a node namespace whose masquerade is pinned
/// to 32768-65535; the test then replaces the rule with `--random-fully`
/// and no range (what a CNI upgrade does), inside that namespace only, and
/// the metrics must show the new verdict within one interval (+ slack for
/// the check's own run and the scrape).
@Suite(
    "watch re-checks the NAT rules (binary)", .serialized,
    .enabled(if: Shell.isRoot && Shell.has("curl"), "needs root and curl"),
    .enabled(if: Shell.has("iptables-nft-restore") && Shell.has("nft"), "needs iptables (nf_tables) and nftables"))
struct WatchRuleDriftLabTests {
    static let pinned = [
        "-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -p tcp -j MASQUERADE --to-ports 32768-65535",
        "-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -p udp -j MASQUERADE --to-ports 32768-65535",
    ]
    static let randomFully = ["-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -j MASQUERADE --random-fully"]

    @Test func aRuleChangeShowsInTheMetricsWithinOneInterval() throws {
        let topology = try CheckTopology.up("wdr")
        defer { topology.down() }
        try topology.loadIptables(Self.pinned)
        let textfile = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-drift-\(UUID().uuidString).prom").path
        defer { try? FileManager.default.removeItem(atPath: textfile) }
        let watch = try WatchCountersLabTests.CountersWatch(
            namespace: topology.node, textfile: textfile,
            extra: ["--check-interval", "1s", "--pod-cidr", CheckTopology.podNetwork])
        defer { watch.process.interrupt() }

        func verdict(_ metrics: WatchCountersLabTests.Metrics) -> String? {
            ["safe", "uncertain", "at-risk", "broken", "unknown"].first {
                metrics.samples["ctaudit_watch_rules_verdict{verdict=\"\($0)\"}"] == 1
            }
        }
        func waitFor(_ expected: String, within seconds: TimeInterval) throws -> (WatchCountersLabTests.Metrics, TimeInterval) {
            let started = Date()
            while true {
                let metrics = try watch.scrape()
                if verdict(metrics) == expected { return (metrics, Date().timeIntervalSince(started)) }
                if Date().timeIntervalSince(started) > seconds {
                    Issue.record(
                        "verdict \(verdict(metrics) ?? "none") after \(seconds)s, expected \(expected)\n\(metrics.text)\n\(watch.process.stderr)"
                    )
                    return (metrics, seconds)
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }

        let (before, _) = try waitFor("safe", within: 10)
        #expect(before.samples["ctaudit_watch_rules_risky_share{family=\"iptables\"}"] == 0)
        #expect(before.samples["ctaudit_watch_rules_changes_total"] == 0)
        #expect(before.samples["ctaudit_watch_rules_check_interval_seconds"] == 1)
        #expect((before.samples["ctaudit_watch_rules_last_check_timestamp_seconds"] ?? 0) > 1_700_000_000)

        try topology.loadIptables(Self.randomFully)
        // One interval (1 s), plus the check's own run and the scrape: 3 s of slack.
        let (after, took) = try waitFor("broken", within: 4)
        print("watch drift: the new verdict showed after \(String(format: "%.2f", took)) s (interval 1 s)")
        let share = try #require(after.samples["ctaudit_watch_rules_risky_share{family=\"iptables\"}"])
        #expect(abs(share - 31744.0 / 64512.0) < 0.02, "about half of 1024-65535 is below 32768: \(share)")
        #expect(after.samples["ctaudit_watch_rules_changes_total"] == 1)
        #expect(after.samples["ctaudit_watch_rules_verdict_changes_total"] == 1)
        #expect(watch.process.stderr.contains("the NAT rules changed: verdict safe -> broken"))

        // The watch never wrote a rule: what the test loaded is what is there.
        let rules = try Shell.sh("ip netns exec \(topology.node) iptables-nft-save -t nat").stdout
        #expect(rules.contains("--random-fully") && !rules.contains("--to-ports"))
    }
}
