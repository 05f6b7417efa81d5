import Engines
import Foundation
import NodeState
import Policy
import Reports
import Testing

/// `ctaudit stats --format prometheus` and `--textfile` through the real
/// binary against the lab's node namespace: the metrics agree with the JSON
/// of the same table, promtool accepts them, the textfile is written
/// atomically with nothing on stdout, and a failed run marks the file.
@Suite(
    "stats Prometheus output (binary)",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("iptables") && Shell.has("ip"), "needs iproute2 and iptables"))
struct StatsTextfileCLITests {
    /// Sample values by series (`name{labels}`), comments skipped.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            samples[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return samples
    }

    @Test func prometheusFormatAndTextfileAgainstTheLab() throws {
        let lab = try Lab.up("sp")
        defer { lab.down() }
        _ = try lab.traffic(pairs: 4, timeout: 2)
        let directory = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = ["stats", "--netns", lab.nodeNamespace, "--no-config", "--pod-cidr", "10.244.0.0/16", "--pod-cidr", "fd00:10:244::/48"]

        let json = try Shell.run(Shell.ctauditBinary, base + ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let groups = try #require((document["nat"] as? [String: Any])?["groups"] as? Int)
        let cpus = try #require((document["per_cpu"] as? [Any])?.count)
        #expect(groups > 0, "the lab's clashing traffic fills port spaces")

        let metrics = try Shell.run(Shell.ctauditBinary, base + ["--format", "prometheus"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        let values = Self.samples(metrics.stdout)
        #expect(values["ctaudit_stats_up"] == 1)
        #expect((values["ctaudit_stats_conntrack_entries"] ?? 0) > 0)
        let maximum = try String(contentsOfFile: "/proc/sys/net/netfilter/nf_conntrack_max", encoding: .utf8)
        #expect(values["ctaudit_stats_conntrack_entries_limit"] == Double(maximum.trimmingCharacters(in: .whitespacesAndNewlines)))
        // One series per CPU for each counter; the lab's traffic made lookups.
        let found = values.filter { $0.key.hasPrefix("ctaudit_stats_conntrack_found_total{cpu=") }
        #expect(found.count == cpus)
        #expect(found.values.reduce(0, +) > 0)
        // The spaces of every protocol add up to the JSON's groups (the table is idle after the traffic).
        let spaces = values.filter { $0.key.hasPrefix("ctaudit_stats_nat_port_spaces{") }.values.reduce(0, +)
        #expect(Int(spaces) == groups)
        let tcp = #"allowed="32768-65535",proto="tcp""#
        #expect((values["ctaudit_stats_nat_port_pressure_max_ratio{\(tcp)}"] ?? 0) > 0)
        #expect(!metrics.stdout.contains("10.244.") && !metrics.stdout.contains("203.0.113."), "no per-address series")

        // Cron: the textfile, nothing on stdout, no temporary file left behind.
        let textfile = directory.appendingPathComponent("ctaudit-stats.prom").path
        let cron = try Shell.run(Shell.ctauditBinary, base + ["--quiet", "--textfile", textfile])
        #expect(cron.status == 0 && cron.stdout.isEmpty, "\(cron.stderr)")
        let written = try String(contentsOfFile: textfile, encoding: .utf8)
        #expect(written.contains("ctaudit_stats_up 1\n"))
        #expect(written.contains("# TYPE ctaudit_stats_conntrack_insert_failed_total counter\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ctaudit-stats.prom"])
        if Shell.has("promtool") {
            let lint = try Shell.run("/bin/sh", ["-c", "promtool check metrics < \"$0\"", textfile])
            #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty, "promtool: \(lint.stdout)\(lint.stderr)")
        }
        // --textfile besides a format: both.
        let both = try Shell.run(Shell.ctauditBinary, base + ["--format", "json", "--textfile", textfile])
        #expect(both.status == 0 && both.stdout.hasPrefix("{"), "\(both.stderr)")

        // A failed run keeps the last success time and raises the error gauge.
        let success = try #require(StatsPrometheusWriter.lastSuccess(inTextfile: try String(contentsOfFile: textfile, encoding: .utf8)))
        let gone = base.map { $0 == lab.nodeNamespace ? "\(lab.nodeNamespace)-gone" : $0 }
        let failed = try Shell.run(Shell.ctauditBinary, gone + ["--quiet", "--textfile", textfile])
        #expect(failed.status == 2 || failed.status == 3, "\(failed.stderr)")
        let after = try String(contentsOfFile: textfile, encoding: .utf8)
        #expect(after.contains("ctaudit_stats_up 0\n"))
        #expect(!after.contains("_total"), "stale counters are not served as current")
        #expect(StatsPrometheusWriter.lastSuccess(inTextfile: after) == success)
    }
}
