import Foundation
import Testing

/// ctaudit inspects; it never changes what it inspects. After each subcommand
/// the lab node namespace's conntrack entries, nft ruleset, iptables and
/// ip6tables rules, legacy table list and `net.*` sysctls are byte-for-byte
/// what they were before.
@Suite("Read-only guarantee", .enabled(if: Shell.isRoot && Shell.has("conntrack") && Shell.has("nft"), "needs root, conntrack(8) and nft"))
struct ReadOnlyTests {
    /// Per-namespace timeouts raised in the lab's node namespace before its
    /// traffic, so that no entry expires while the snapshots are compared
    /// (the lab's own namespace; nothing global).
    static let longTimeouts = [
        "nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream", "nf_conntrack_tcp_timeout_syn_sent",
        "nf_conntrack_tcp_timeout_syn_recv", "nf_conntrack_tcp_timeout_time_wait", "nf_conntrack_tcp_timeout_close",
        "nf_conntrack_tcp_timeout_fin_wait", "nf_conntrack_tcp_timeout_close_wait", "nf_conntrack_tcp_timeout_last_ack",
        "nf_conntrack_icmp_timeout", "nf_conntrack_icmpv6_timeout",
    ]

    /// Everything a subcommand could change, as text. Conntrack timeouts and
    /// ages tick, so those columns are dropped; everything else is compared as is.
    struct Snapshot: Equatable {
        var parts: [String: String]

        static func take(_ namespace: String) throws -> Snapshot {
            let exec = "ip netns exec \(namespace)"
            var parts: [String: String] = [:]
            let conntrack = try Shell.sh("\(exec) conntrack -L -o extended,id 2>/dev/null").stdout
            parts["conntrack"] = conntrack.split(separator: "\n").map { line in
                // "ipv4 2 tcp 6 TIMEOUT STATE src=..." : the fifth field is the timeout.
                var fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                if fields.count > 4 { fields[4] = "-" }
                // The flow's age ticks too (nf_conntrack_timestamp).
                return fields.filter { !$0.hasPrefix("delta-time=") }.joined(separator: " ")
            }.sorted().joined(separator: "\n")
            parts["nft"] = try Shell.sh("\(exec) nft list ruleset").stdout
            for tool in ["iptables-save", "ip6tables-save"] where Shell.has(tool) {
                parts[tool] = try Shell.sh("\(exec) \(tool) | grep -v '^#'").stdout
            }
            for file in ["/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"] {
                parts[file] = (try? Shell.sh("\(exec) cat \(file) 2>/dev/null").stdout) ?? "(none)"
            }
            // Every readable sysctl of the namespace's network stack (values
            // that only a write could change; counters such as
            // nf_conntrack_count stay put because the table does).
            parts["sysctl"] = try Shell.sh("\(exec) sysctl -a 2>/dev/null | grep '^net\\.' | sort").stdout
            return Snapshot(parts: parts)
        }

        func differences(from other: Snapshot) -> [String] {
            Set(parts.keys).union(other.parts.keys).sorted().compactMap { key in
                guard parts[key] != other.parts[key] else { return nil }
                let mine = Set((parts[key] ?? "").split(separator: "\n"))
                let theirs = Set((other.parts[key] ?? "").split(separator: "\n"))
                return "\(key): -\(theirs.subtracting(mine).sorted().prefix(5)) +\(mine.subtracting(theirs).sorted().prefix(5))"
            }
        }
    }

    @Test("every subcommand leaves conntrack, rules and sysctls byte-for-byte unchanged")
    func everySubcommandIsReadOnly() throws {
        let lab = try Lab.up("ro")
        defer { lab.down() }
        let node = lab.nodeNamespace
        for name in Self.longTimeouts {
            _ = try? Shell.sh(
                "ip netns exec \(node) sh -c 'test -w /proc/sys/net/netfilter/\(name) && echo 3600 > /proc/sys/net/netfilter/\(name)'")
        }
        let connections = try lab.traffic(pairs: 3, timeout: 2)
        #expect(connections.contains { $0.timedOut }, "the lab made violations to audit")

        let directory = NSTemporaryDirectory() + "ctaudit-ro-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = directory + "/report.json"
        let pods = ["--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]
        let commands: [[String]] = [
            ["audit", "--netns", node] + pods,
            ["audit", "--netns", node, "--no-kernel-filter", "--format", "json", "--output", report] + pods,
            ["audit", "--netns", node, "--format", "prometheus", "--textfile", directory + "/ctaudit.prom"] + pods,
            ["audit", "--netns", node, "--format", "ndjson"],
            ["audit", "--netns", node, "--format", "html", "--output", directory + "/report.html"] + pods,
            ["stats", "--netns", node, "--per-cpu"],
            ["stats", "--netns", node, "--format", "json"],
            ["watch", "--netns", node, "--duration", "1", "--remaps"] + pods,
            ["check", "--netns", node],
            ["check", "--netns", node, "--format", "json", "--pods"],
            ["merge", report],
            ["who", "198.51.100.2:9", "--netns", node],
            ["who", "198.51.100.2:9", "--netns", node, "--untranslated", "--format", "json"],
        ]

        // Settle: the lab's last packets may still move a state; wait until two
        // snapshots agree before taking the baseline.
        var before = try Snapshot.take(node)
        for _ in 0..<10 {
            Thread.sleep(forTimeInterval: 0.5)
            let again = try Snapshot.take(node)
            if again == before { break }
            before = again
        }
        #expect(!(before.parts["conntrack"] ?? "").isEmpty)

        for arguments in commands {
            let result = try Shell.run("/usr/bin/timeout", ["60", Shell.ctauditBinary] + arguments)
            #expect([0, 1].contains(result.status), "\(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)")
            let after = try Snapshot.take(node)
            #expect(after == before, "\(arguments.joined(separator: " ")) changed the namespace: \(after.differences(from: before))")
            before = after
        }
    }
}
