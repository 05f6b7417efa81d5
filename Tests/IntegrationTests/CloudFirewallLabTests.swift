import Foundation
import Testing

/// OCI, OVHcloud, Scaleway and Cisco IOS firewall files end to end through
/// the binary, on the incident lab (scripts/lab.sh), whose gateway drops
/// replies to ports 0-32767: each file's violations must be exactly the
/// flows outside the ports it admits for their protocol and family.
@Suite("Cloud firewall files in the lab", .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct CloudFirewallLabTests {
    typealias Key = FirewallLabTests.Key
    static let fixtures = FirewallLabTests.fixtures

    static func key(_ connection: Lab.Connection) -> Key {
        Key(family: connection.family, proto: connection.proto, source: connection.source, sourcePort: connection.sourcePort)
    }

    @Test("OCI stateless, OCI stateful TCP + stateless UDP, Scaleway, Cisco and OVHcloud: exactly the flows outside what each admits")
    func cloudFilesFindExactlyTheFlowsOutside() throws {
        let lab = try Lab.up("fwc")
        defer { lab.down() }
        let connections = try lab.traffic(pairs: 8)
        // The lab gateway drops replies below 32768: those connections timed out.
        let outside = Set(connections.filter(\.timedOut).map(Self.key))
        #expect(outside.contains { $0.proto == "tcp" } && outside.contains { $0.proto == "udp" })

        for file in ["oci-security-list-stateless.json", "scaleway-security-group-stateless.json", "cisco-ios-acl.txt"] {
            let audit = try FirewallLabTests.audit(lab, ["--firewall", "\(Self.fixtures)/\(file)"])
            #expect(audit.status == 1, "\(file)")
            #expect(Set(audit.violations.keys) == outside, "\(file): \(Set(audit.violations.keys).symmetricDifference(outside))")
        }
        let stateless = try FirewallLabTests.audit(lab, ["--firewall", "\(Self.fixtures)/oci-security-list-stateless.json"])
        #expect(
            stateless.violations.values.allSatisfy { $0 == "no ingress rule allows it: dropped" }, "\(Set(stateless.violations.values))")

        // Stateful TCP admits TCP replies on any port; stateless UDP only 32768-65535.
        let mixed = try FirewallLabTests.audit(lab, ["--firewall", "\(Self.fixtures)/oci-security-list-mixed.json"])
        #expect(mixed.status == 1)
        let udpOutside = outside.filter { $0.proto == "udp" }
        #expect(Set(mixed.violations.keys) == udpOutside, "\(Set(mixed.violations.keys).symmetricDifference(udpOutside))")

        // OVHcloud: TCP established on any port, UDP only from source port 53 (the lab serves 5353), IPv4 only.
        let ovh = try FirewallLabTests.audit(lab, ["--firewall", "\(Self.fixtures)/ovh-edge-firewall.json"])
        let udpV4 = Set(connections.filter { $0.proto == "udp" && $0.family == "ipv4" }.map(Self.key))
        #expect(Set(ovh.violations.keys) == udpV4, "\(Set(ovh.violations.keys).symmetricDifference(udpV4))")

        // The text report names the file, what it admits, and the fix in OCI's terms.
        let text = try FirewallLabTests.ctaudit(
            [
                "audit", "--no-config", "--netns", lab.nodeNamespace,
                "--firewall", "\(Self.fixtures)/oci-security-list-mixed.json",
            ] + FirewallLabTests.pods)
        #expect(text.stdout.contains("(OCI security list, 9 rules)"), "\(text.stdout)")
        #expect(
            text.stdout.contains("replies admitted to: tcp/ipv4 to 198.51.100.2 0-65535; udp/ipv4 to 198.51.100.2 32768-65535"),
            "\(text.stdout)")
        #expect(text.stdout.contains("oci network security-list update --security-list-id SECURITY_LIST_OCID"), "\(text.stdout)")
    }

    @Test func unknownFormatIsRefusedWithTheAcceptedOnes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("pf.conf").path
        try "pass in on em0 proto tcp to port 22\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try FirewallLabTests.ctaudit(["audit", "--no-config", "--firewall", path])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        for format in [
            "Hetzner Robot", "AWS network ACL", "OCI security list or NSG rules", "OVHcloud Edge Network Firewall",
            "Scaleway security group", "Cisco IOS access lists", "iptables-save",
        ] {
            #expect(result.stderr.contains(format), "\(result.stderr)")
        }
    }
}
