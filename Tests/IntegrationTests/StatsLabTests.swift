import Foundation
import Testing

/// `ctaudit stats` against conntrack(8) on the lab's node namespace.
@Suite("stats in the lab (binary)", .enabled(if: Shell.isRoot && Shell.has("conntrack"), "needs root and conntrack(8)"))
struct StatsLabTests {
    /// `conntrack -S`: one line per CPU, `cpu=N key=value ...`.
    static func conntrackStats(_ namespace: String) throws -> [Int: [String: Int]] {
        var cpus: [Int: [String: Int]] = [:]
        for line in try Shell.sh("ip netns exec \(namespace) conntrack -S").stdout.split(separator: "\n") {
            var fields: [String: Int] = [:]
            for pair in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Int(parts[1]) { fields[String(parts[0])] = value }
            }
            if let cpu = fields.removeValue(forKey: "cpu") { cpus[cpu] = fields }
        }
        return cpus
    }

    static func conntrackCount(_ namespace: String) throws -> Int {
        Int(try Shell.sh("ip netns exec \(namespace) conntrack -C").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test("per-CPU counters, sums and the entry count match conntrack -S and -C")
    func matchesConntrack() throws {
        let lab = try Lab.up("ws")
        defer { lab.down() }
        _ = try lab.traffic(pairs: 4, timeout: 2)
        let node = lab.nodeNamespace
        // Counters only grow: ctaudit's reading must lie between two of conntrack's.
        let before = try Self.conntrackStats(node)
        let countBefore = try Self.conntrackCount(node)
        let result = try Shell.run(Shell.ctauditBinary, ["stats", "--netns", node, "--format", "json", "--per-cpu", "--top", "0"])
        let after = try Self.conntrackStats(node)
        let countAfter = try Self.conntrackCount(node)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])

        let perCPU = try #require(json["per_cpu"] as? [[String: Any]])
        #expect(perCPU.count == before.count)
        var sums: [String: Int] = [:]
        for cpu in perCPU {
            let number = try #require(cpu["cpu"] as? Int)
            let low = try #require(before[number])
            let high = try #require(after[number])
            for (name, value) in low {
                let ours = try #require(cpu[name] as? Int, "ctaudit lacks \(name)")
                #expect(value <= ours && ours <= high[name] ?? value, "cpu \(number) \(name): \(value) <= \(ours) <= \(high[name] ?? -1)")
                sums[name, default: 0] += ours
            }
        }
        let totals = try #require(json["totals"] as? [String: Any])
        for (name, sum) in sums { #expect(totals[name] as? Int == sum, "\(name)") }
        #expect(sums["found", default: 0] > 0, "the lab's traffic made lookups")

        let table = try #require(json["table"] as? [String: Any])
        let entries = try #require(table["entries"] as? Int)
        #expect(countBefore <= entries && entries <= countAfter || countAfter <= entries && entries <= countBefore)
        let maximum = try String(contentsOfFile: "/proc/sys/net/netfilter/nf_conntrack_max", encoding: .utf8)
        #expect(table["max"] as? Int == Int(maximum.trimmingCharacters(in: .whitespacesAndNewlines)))
        // The library says there is a per-CPU view; the CLI names its flag.
        let text = try Shell.run(Shell.ctauditBinary, ["stats", "--netns", node])
        #expect(text.stdout.contains("; --per-cpu for each)"), "\(text.stdout)")

        // Port pressure: per (translated, server, port, proto), the ports conntrack shows in use.
        let nat = try #require(json["nat"] as? [String: Any])
        let groups = try #require(nat["port_pressure"] as? [[String: Any]])
        let entriesList = try ConntrackCLIEntry.list(netns: node)
        #expect(!groups.isEmpty)
        for group in groups {
            let translated = group["translated"] as? String
            let dst = group["dst"] as? String
            let dport = (group["dport"] as? Int).map(String.init)
            let proto = group["proto"] as? String
            let holding = entriesList.filter {
                $0.reply["dst"] == translated && $0.reply["src"] == dst && $0.reply["sport"] == dport && $0.proto == proto
            }
            #expect(group["ports_in_use"] as? Int == holding.count, "\(group)")
            #expect(group["ports_in_allowed"] as? Int == holding.filter { ($0.translatedPort ?? 0) >= 32768 }.count)
        }
    }
}
