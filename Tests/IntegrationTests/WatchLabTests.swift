import Foundation
import Testing

/// `ctaudit watch` against the incident lab: it runs in the node namespace
/// while the clashing traffic runs, and must report exactly the violations
/// that conntrack(8) lists there, with the right reply state.
@Suite("watch in the lab (binary)", .serialized, .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct WatchLabTests {
    /// 50000-65535 makes pod1's kept ports (40000+, replied) violations too,
    /// so both replied and unreplied violations are exercised every run.
    static let allow = "50000-65535"
    static let podNets = ["--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]

    static func isViolation(_ entry: ConntrackCLIEntry) -> Bool {
        guard let tport = entry.translatedPort, tport < 50000, entry.proto == "tcp" || entry.proto == "udp",
            let source = entry.original["src"], source.hasPrefix("10.244.0.") || source.hasPrefix("fd00:10:244::"),
            // Source-NATed: the reply goes to the node, not back to the pod.
            let replyDestination = entry.reply["dst"], replyDestination != source
        else { return false }
        return true
    }

    @Test("reports exactly the violations conntrack -L shows, marks the unreplied, and says which failed on DESTROY")
    func matchesConntrackAndMarksFailures() throws {
        let lab = try Lab.up("wl")
        defer { lab.down() }
        let watch = try WatchProcess(["--netns", lab.nodeNamespace, "--format", "ndjson", "--allow", Self.allow] + Self.podNets)
        try watch.waitUntilWatching()

        let connections = try lab.traffic(pairs: 4, timeout: 2)
        #expect(connections.contains { $0.timedOut })
        let table = try ConntrackCLIEntry.list(netns: lab.nodeNamespace)
        let expected = Dictionary(
            table.filter(Self.isViolation).compactMap { entry in
                WatchFlowKey(entry: entry).map { ($0, entry.unreplied) }
            }, uniquingKeysWith: { first, _ in first })
        #expect(expected.values.contains(true) && expected.values.contains(false), "lab made both kinds: \(expected)")

        // End pod3's flows (always unreplied violations): their DESTROY must say "failed".
        try Shell.sh("ip netns exec \(lab.nodeNamespace) conntrack -D -s 10.244.0.4 >/dev/null 2>&1 || true")
        try Shell.sh("ip netns exec \(lab.nodeNamespace) conntrack -D -f ipv6 -s fd00:10:244::4 >/dev/null 2>&1 || true")
        Thread.sleep(forTimeInterval: 0.5)
        let status = watch.interrupt()

        let records = watch.records.filter { $0["event"] as? String != "summary" }
        #expect(records.allSatisfy { $0["violation"] as? Bool == true })
        // State as of the snapshot: the latest record before any DESTROY.
        var seen: [WatchFlowKey: Bool] = [:]
        var destroyed: [WatchFlowKey: Bool] = [:]
        for record in records {
            guard let key = WatchFlowKey(record: record), let unreplied = record["unreplied"] as? Bool else {
                Issue.record("unreadable record \(record)")
                continue
            }
            if record["event"] as? String == "destroy" { destroyed[key] = unreplied } else { seen[key] = unreplied }
        }
        #expect(
            Set(seen.keys) == Set(expected.keys),
            "watch \(seen.keys.sorted { $0.description < $1.description }) vs conntrack \(expected.keys)")
        for (key, unreplied) in expected { #expect(seen[key] == unreplied, "\(key)") }

        let pod3 = expected.filter { $0.key.source == "10.244.0.4" || $0.key.source == "fd00:10:244::4" }
        #expect(!pod3.isEmpty)
        for key in pod3.keys { #expect(destroyed[key] == true, "DESTROY of \(key) must say it never got a reply") }
        #expect(Set(destroyed.keys) == Set(pod3.keys))

        let summary = try #require(watch.summary)
        #expect(status == 1)
        #expect(summary["violations"] as? Int == expected.count)
        #expect(summary["violations_unreplied"] as? Int == expected.values.filter { $0 }.count)
        #expect(summary["violations_failed"] as? Int == pod3.count)
        #expect(summary["events_lost"] as? Int == 0)
        #expect(summary["stopped_by"] as? String == "signal")
    }

    @Test("text format, --duration and --remaps: remaps inside the range are printed but only violations set the exit code")
    func textAllAndDuration() throws {
        let lab = try Lab.up("wt")
        defer { lab.down() }
        // Everything allowed: no violation, but --remaps shows pod2's remaps.
        let watch = try WatchProcess(["--netns", lab.nodeNamespace, "--remaps", "--allow", "0-65535", "--duration", "6"] + Self.podNets)
        try watch.waitUntilWatching()
        _ = try lab.traffic(pairs: 4, timeout: 2)
        let status = watch.wait()
        let text = watch.stdout
        #expect(status == 0, "\(watch.stderr)")
        #expect(text.contains("NEW     remap"))
        #expect(!text.contains("VIOLATION"))
        #expect(text.contains("ctaudit watch summary") && text.contains("stopped by duration") && text.contains("violations 0"))
        #expect(!text.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }
}
