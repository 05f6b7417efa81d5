import Foundation
import Testing

/// Issue 12, part 4: `-j CT --zone-orig 7` puts the zone in the original
/// tuple only (CTA_TUPLE_ZONE; no CTA_ZONE), which ctaudit used to report as
/// zone 0. conntrack(8) prints it as zone-orig=7, and so does ctaudit now.
@Suite(
    "audit: directional conntrack zones",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct DirectionalZoneKernelTests {
    @Test func aZoneForTheOriginalDirectionIsReportedAsConntrackDoes() throws {
        let lab = try Lab.up("ctz")
        defer { lab.down() }
        // pod3's traffic (its kept low ports are violations) gets zone 7 in
        // the original direction only; replies still match in zone 0.
        try Shell.sh("ip netns exec \(lab.nodeNamespace) iptables -t raw -A PREROUTING -i br0 -s 10.244.0.4 -j CT --zone-orig 7")
        _ = try lab.traffic(pairs: 1)
        let result = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--format", "json",
                "--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64",
            ])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let violations = try #require(report["violations"] as? [[String: Any]])
        let pod3 = violations.filter { ($0["original"] as? [String: Any])?["src"] as? String == "10.244.0.4" }
        #expect(!pod3.isEmpty)
        #expect(pod3.allSatisfy { $0["zone_orig"] as? Int == 7 && $0["zone"] as? Int == 0 && $0["zone_reply"] is NSNull }, "\(pod3)")
        let text = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.244.0.0/24"])
        #expect(text.stdout.contains("zone-orig 7"), "\(text.stdout)")
        if Shell.has("conntrack") {
            let cli = try Shell.sh("ip netns exec \(lab.nodeNamespace) conntrack -L -s 10.244.0.4 2>/dev/null")
            #expect(cli.stdout.contains("zone-orig=7"), "conntrack(8) agrees: \(cli.stdout)")
        }
    }
}
