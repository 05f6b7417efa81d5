import Foundation
import Testing

/// The audit, stats and watch textfiles of one lab node in one collector
/// directory (issue 23.4): promtool accepts their concatenation, which is
/// what node_exporter's textfile collector merges, and no name is defined
/// by two files.
@Suite(
    "One collector directory (lab)",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
struct MetricSchemeLabTests {
    @Test func auditStatsAndWatchTextfilesConcatenatedPassPromtool() throws {
        let lab = try Lab.up("ms")
        defer { lab.down() }
        _ = try lab.traffic(pairs: 4, timeout: 2)
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = ["--netns", lab.nodeNamespace, "--no-config", "--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]
        let files = ["ctaudit.prom", "ctaudit-stats.prom", "ctaudit-watch.prom"].map { directory.appendingPathComponent($0).path }
        let audit = try Shell.run(Shell.ctauditBinary, ["audit", "--quiet", "--textfile", files[0]] + target)
        #expect(audit.status == 1, "the lab has violations: \(audit.stderr)")
        let stats = try Shell.run(Shell.ctauditBinary, ["stats", "--quiet", "--textfile", files[1]] + target)
        #expect(stats.status == 0, "\(stats.stderr)")
        let watch = try Shell.run(Shell.ctauditBinary, ["watch", "--textfile", files[2], "--interval", "1", "--duration", "2"] + target)
        #expect(watch.status == 1, "the table's violations are counted from the initial dump: \(watch.stderr)")

        let texts = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        var seen: [String: String] = [:]
        for (file, text) in zip(files, texts) {
            for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
                let name = String(line.split(separator: " ")[2])
                #expect(seen[name] == nil, "\(name) is defined by \(seen[name] ?? "") and \(file)")
                seen[name] = file
            }
        }
        #expect(
            texts[0].contains("ctaudit_audit_up 1\n") && texts[1].contains("ctaudit_stats_up 1\n")
                && texts[2].contains("ctaudit_watch_up 0\n"))
        #expect(texts[0].contains(#"ctaudit_audit_violation_flows{allowed="32768-65535",dataplane="conntrack",family="ipv4",proto="tcp"}"#))
        #expect(
            texts[2].contains(
                #"ctaudit_watch_violation_flows_total{allowed="32768-65535",dataplane="conntrack",family="ipv4",proto="tcp"}"#))
        let lint = try Shell.run("/bin/sh", ["-c", "cat \"$@\" | promtool check metrics", "sh"] + files)
        #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty, "promtool: \(lint.stdout)\(lint.stderr)")
    }
}
