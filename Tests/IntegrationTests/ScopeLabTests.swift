import Foundation
import Testing

/// Issue 22, parts 3 and 4, on the incident lab through the CLI: the wrong
/// inputs a new user tries give the true verdict, checked against
/// conntrack(8)'s own listing and against what the traffic did.
@Suite(
    "audit: wrong scope inputs on the lab (issue 22)",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("conntrack"), "needs conntrack(8) as the oracle"))
struct ScopeLabTests {
    static let podCIDRs = ["--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]

    static func json(_ result: Shell.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test func aWrongPodCIDRAndAToleranceGiveTheTrueVerdict() throws {
        let lab = try Lab.up("csc")
        defer { lab.down() }
        let traffic = try lab.traffic(pairs: 8)
        try #require(traffic.contains { $0.timedOut }, "the lab must reproduce the incident first")
        // conntrack(8)'s own view: source-NATed entries whose translated port the gateway drops.
        let dropped = try ConntrackCLIEntry.list(netns: lab.nodeNamespace, sourceNATed: true)
            .filter { ["tcp", "udp"].contains($0.proto) && ($0.translatedPort ?? 65535) < 32768 }
        try #require(!dropped.isEmpty)
        #expect(dropped.count == traffic.filter { $0.timedOut }.count, "one entry per connection that timed out")

        // --pod-cidr naming the wrong network: no pod flow is audited, and the
        // flows from the real pods violate. Never "no violations", never exit 0.
        let wrong = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.42.0.0/16",
                "--no-config", "--format", "json",
            ])
        #expect(wrong.status == 1, "\(wrong.stdout) \(wrong.stderr)")
        let report = try Self.json(wrong)
        #expect(report["verdict"] as? String == "outside-violations")
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["violations"] as? Int == 0 && summary["snat"] as? Int == 0)
        #expect(
            summary["outside_pod_networks_would_violate"] as? Int == dropped.count,
            "every entry conntrack lists with a dropped port, and only those: \(dropped)")
        let outside = try #require(report["outside_pod_networks"] as? [String: Any])
        let networks = Set((outside["sources"] as? [[String: Any]] ?? []).compactMap { $0["network"] as? String })
        #expect(networks == ["10.244.0.0/24", "fd00:10:244::/64"], "where they came from: \(networks)")

        let text = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.42.0.0/16", "--no-config"])
        #expect(text.status == 1)
        #expect(!text.stdout.contains("no violations"), "\(text.stdout)")
        #expect(text.stdout.contains("violations outside the pod networks:"), "\(text.stdout)")
        #expect(text.stdout.contains("--pod-cidr 10.244.0.0/24 --pod-cidr fd00:10:244::/64"), "\(text.stdout)")
        let prometheus = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.42.0.0/16",
                "--no-config", "--format", "prometheus",
            ])
        #expect(prometheus.stdout.contains("ctaudit_audit_verdict{verdict=\"outside-violations\"} 1"))
        #expect(prometheus.stdout.contains("ctaudit_audit_outside_pod_networks_would_violate_flows \(dropped.count)"))

        // The same network without its prefix is refused, not one host.
        let bare = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.244.0.0", "--no-config"])
        #expect(bare.status == 2 && bare.stderr.contains("write 10.244.0.0/16 for the network"), "\(bare.stderr)")

        // The right networks: the same flows are pod violations.
        let right = try Self.json(
            try Shell.run(
                Shell.ctauditBinary,
                ["audit", "--netns", lab.nodeNamespace, "--no-config", "--format", "json"]
                    + Self.podCIDRs))
        #expect((right["summary"] as? [String: Any])?["violations"] as? Int == dropped.count)
        // pod3's 1024-2047 is kept by the plain masquerade (other labs running
        // at the same time have a pod3 at the same address: at least one).
        #expect(((right["summary"] as? [String: Any])?["pods_blocked"] as? Int ?? 0) >= 1)

        // --max-violations forgives the violating flows, not pod3, whose every
        // connection fails: exit 1 still.
        let tolerant = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--no-config", "--quiet",
                "--max-violations", "1000",
            ] + Self.podCIDRs)
        #expect(tolerant.status == 1, "\(tolerant.stderr)")
        // With the wrong network (no pod judged, so no pod blocked) the tolerance forgives the flows.
        let tolerantWrong = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--no-config", "--quiet",
                "--pod-cidr", "10.42.0.0/16", "--max-violations", "1000",
            ])
        #expect(tolerantWrong.status == 0, "\(tolerantWrong.stderr)")
        let justBelow = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--no-config", "--quiet",
                "--pod-cidr", "10.42.0.0/16", "--max-violations", "\(dropped.count - 1)",
            ])
        #expect(justBelow.status == 1)

        // merge of the two nodes' stories: the wrong-CIDR one is outside-violations.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-scope-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("wrong.json")
        try wrong.stdout.write(to: file, atomically: true, encoding: .utf8)
        let merged = try Shell.run(Shell.ctauditBinary, ["merge", file.path])
        #expect(merged.status == 1)
        #expect(merged.stdout.contains("verdict: outside-violations"), "\(merged.stdout)")
        #expect(merged.stdout.contains("outside the pod networks on "), "\(merged.stdout)")
    }
}
