import Foundation
import TestSupport
import Testing

/// `ctaudit probe` against the lab gateway, whose reply filter this test
/// moves to a boundary picked from a seed (`TestSeed`; its own namespace's
/// rules): the probe must find that boundary exactly, within 64 probes, for
/// TCP and UDP over IPv4 and IPv6.
@Suite("Probe in the lab", .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct ProbeLabTests {
    static func ctaudit(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(Shell.ctauditBinary, arguments, environment: ["NO_COLOR": "1"])
    }

    @Test("finds a random gateway boundary exactly (tcp, udp; ipv4, ipv6) in at most 64 probes")
    func findsTheBoundary() throws {
        let lab = try Lab.up("fwp")
        defer { lab.down() }
        let seed = TestSeed.value(default: 0x9B0B_E5EE_D202_6120)
        var generator = SeededGenerator(seed: seed)
        let boundary = Int.random(in: 1025...65535, using: &generator)
        let context = "boundary \(boundary), \(TestSeed.describe(seed))"
        let gateway = "\(lab.prefix)-gw"
        for tool in ["iptables", "ip6tables"] {
            try Shell.sh("ip netns exec \(gateway) \(tool) -F FORWARD")
            for proto in ["tcp", "udp"] {
                try Shell.sh("ip netns exec \(gateway) \(tool) -A FORWARD -o int0 -p \(proto) --dport 0:\(boundary - 1) -j DROP")
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let targets = [
            ("203.0.113.10:8080", "tcp"), ("[2001:db8:2::10]:8080", "tcp"),
            ("203.0.113.10:5353", "udp"), ("[2001:db8:2::10]:5353", "udp"),
        ]
        for (target, proto) in targets {
            var arguments = [
                "probe", "--target", target, "--proto", proto, "--netns", lab.nodeNamespace,
                "--rate", "200", "--timeout", "0.25", "--format", "json",
            ]
            if proto == "udp" { arguments += ["--payload", "ctaudit-probe"] }
            let profile = directory.appendingPathComponent("\(proto)-\(target.hasPrefix("[") ? 6 : 4).yaml").path
            arguments += ["--save-profile", profile]
            let result = try Self.ctaudit(arguments)
            #expect(result.status == 1, "\(target) \(proto), \(context): \(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
            #expect(object["schema"] as? String == "ctaudit.probe/v1")
            #expect(object["allowed"] as? [String] == ["\(boundary)-65535"], "\(target) \(proto), \(context): \(result.stdout)")
            #expect(object["blocked"] as? [String] == ["1024-\(boundary - 1)"], "\(target) \(proto), \(context)")
            let probes = object["probes"] as? Int ?? 999
            #expect(probes <= 64, "\(context)")
            let evidence = object["evidence"] as? [[String: Any]] ?? []
            #expect(evidence.first?["phase"] as? String == "control")
            #expect(evidence.count == probes)
            // The saved profile is a config audit reads.
            let audit = try Self.ctaudit(["audit", "--config", profile, "--netns", lab.nodeNamespace, "--pod-cidr", "10.244.0.0/24"])
            #expect(
                audit.stdout.contains("allowed translated source ports: \(boundary)-65535"), "\(context): \(audit.stdout)\(audit.stderr)")
        }
    }

    @Test func unreachableTargetIsExit3AndUsageErrorsExit2() throws {
        let lab = try Lab.up("fwq")
        defer { lab.down() }
        // Nothing listens on 203.0.113.99: no probe gets anything back.
        let down = try Self.ctaudit([
            "probe", "--target", "203.0.113.99:8080", "--netns", lab.nodeNamespace, "--rate", "200", "--timeout", "0.2",
        ])
        #expect(down.status == 3)
        #expect(down.stderr.contains("unreachable, not a firewall verdict"))
        for (arguments, message) in [
            (["probe", "--target", "example.com:443"], "not an IP address"),
            (["probe", "--target", "203.0.113.10:5353", "--proto", "udp"], "needs --payload"),
            (["probe", "--target", "203.0.113.10:80", "--max-probes", "0"], "--max-probes must be 1-1000"),
        ] {
            let result = try Self.ctaudit(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }
}
