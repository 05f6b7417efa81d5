import Foundation
import Testing

/// `--firewall` end to end through the binary, on the incident lab
/// (scripts/lab.sh): the same traffic judged by `--allow` and by equivalent
/// firewall definitions, including the lab gateway's own live ruleset.
@Suite("Firewall files in the lab", .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct FirewallLabTests {
    typealias Key = FirewallLab.Key
    static let fixtures = FirewallLab.fixtures
    static let pods = FirewallLab.pods

    static func ctaudit(_ arguments: [String]) throws -> Shell.Result { try FirewallLab.ctaudit(arguments) }

    static func audit(_ lab: Lab, _ policy: [String]) throws -> (status: Int32, violations: [Key: String]) {
        try FirewallLab.audit(lab, policy)
    }

    @Test("--allow, a Robot file, a NACL and the gateway's own rulesets find the same violations")
    func equivalentDefinitionsAgree() throws {
        let lab = try Lab.up("fwe")
        defer { lab.down() }
        let connections = try lab.traffic(pairs: 8)
        let timedOut = Set(
            connections.filter(\.timedOut).map {
                Key(family: $0.family, proto: $0.proto, source: $0.source, sourcePort: $0.sourcePort)
            })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The lab gateway's live rules, read-only, from its own namespace.
        let gateway = "\(lab.prefix)-gw"
        let iptables = directory.appendingPathComponent("gateway.rules").path
        try Shell.sh("(ip netns exec \(gateway) iptables-save; ip netns exec \(gateway) ip6tables-save) > \(iptables)")
        let nft = directory.appendingPathComponent("gateway.nft.json").path
        try Shell.sh("ip netns exec \(gateway) nft -j list ruleset > \(nft)")

        let byAllow = try Self.audit(lab, ["--allow", "32768-65535"])
        #expect(byAllow.status == 1)
        #expect(
            Set(byAllow.violations.keys) == timedOut, "--allow vs timed out: \(Set(byAllow.violations.keys).symmetricDifference(timedOut))")
        for file in ["\(Self.fixtures)/robot-replies.json", "\(Self.fixtures)/aws-network-acl.json", iptables, nft] {
            let byFile = try Self.audit(lab, ["--firewall", file])
            #expect(byFile.status == 1, "\(file)")
            #expect(
                Set(byFile.violations.keys) == Set(byAllow.violations.keys),
                "\(file): \(Set(byFile.violations.keys).symmetricDifference(Set(byAllow.violations.keys)))")
            #expect(byFile.violations.values.allSatisfy { !$0.isEmpty }, "\(file): every violation names its rule")
        }
        // The gateway's verdicts name its DROP rules.
        let byGateway = try Self.audit(lab, ["--firewall", iptables])
        #expect(byGateway.violations.values.allSatisfy { $0.contains("dst 0-32767") && $0.contains("(discard)") })
    }

    @Test("a Robot file with a TCP rule and no UDP rule drops every UDP flow; a stateful file is clean and says why")
    func tcpOnlyRobotAndStatefulFirewall() throws {
        let lab = try Lab.up("fwu")
        defer { lab.down() }
        let connections = try lab.traffic(pairs: 4)
        let udp = Set(
            connections.filter { $0.proto == "udp" }.map {
                Key(family: $0.family, proto: $0.proto, source: $0.source, sourcePort: $0.sourcePort)
            })
        #expect(udp.count >= 16)  // pod1 and pod2 each send 2 families x pairs, pod3 some more
        let tcpOnly = try Self.audit(lab, ["--firewall", "\(Self.fixtures)/robot-tcp-only.json"])
        #expect(tcpOnly.status == 1)
        let udpViolations = tcpOnly.violations.filter { $0.key.proto == "udp" }
        #expect(Set(udpViolations.keys) == udp)
        #expect(udpViolations.values.allSatisfy { $0 == "no rule matches: discarded" })

        let text = try Self.ctaudit(
            ["audit", "--no-config", "--netns", lab.nodeNamespace, "--firewall", "\(Self.fixtures)/robot-tcp-only.json"] + Self.pods)
        #expect(text.stdout.contains("dropped by:\n  no rule matches: discarded"))
        #expect(text.stdout.contains("no rule admits udp replies"))

        for file in ["hetzner-cloud.json", "aws-security-groups.json", "gcp-firewall-rules.json"] {
            let stateful = try Self.ctaudit(
                ["audit", "--no-config", "--netns", lab.nodeNamespace, "--firewall", "\(Self.fixtures)/\(file)"] + Self.pods)
            #expect(stateful.status == 0, "\(file): \(stateful.stderr)")
            #expect(
                stateful.stdout.contains("no violations:") && stateful.stdout.contains("is stateful")
                    && stateful.stdout.contains("imposes no reply-port range"), "\(stateful.stdout)")
        }
    }

    @Test("a Robot file with protocol-dependent rules: no pod blocked for a protocol that admits its range, the peer in words")
    func protocolDependentRobotRules() throws {
        let lab = try Lab.up("fwr")
        defer { lab.down() }
        _ = try lab.traffic(pairs: 2)
        let file = "\(Self.fixtures)/robot-protocol-dependent.json"
        let json = try Self.audit(lab, ["--firewall", file])
        // TCP ACK to 1024-65535 admits every TCP flow; UDP only from source port 53: the lab's 5353 replies are dropped.
        #expect(json.violations.keys.allSatisfy { $0.proto == "udp" && $0.family == "ipv4" }, "\(json.violations.keys)")
        let text = try Self.ctaudit(["audit", "--no-config", "--netns", lab.nodeNamespace, "--firewall", file] + Self.pods)
        #expect(text.stdout.contains("udp/ipv4 to 198.51.100.2 0-65535 only from source port 53, none from other peers"), "\(text.stdout)")
        let pod3 = text.stdout.split(separator: "\n").filter { $0.contains("\(lab.prefix)-pod3") && $0.contains("ip_local_port_range") }
        #expect(!pod3.isEmpty, "\(text.stdout)")
        for line in pod3 {
            #expect(line.contains("UDP/ipv4 replies admitted only from source port 53"), "\(line)")
            #expect(!line.contains("for tcp"), "\(line)")
        }
        #expect(!text.stdout.contains("outside  ") && !text.stdout.contains("not only  "))
        let check = try Self.ctaudit(
            [
                "check", "--no-config", "--netns", lab.nodeNamespace, "--firewall", file,
                "--port-range", "1024-2047", "--port-range", "32768-60999",
            ] + Self.pods)
        #expect(check.stdout.contains("verdict: SAFE"), "\(check.stdout)")
    }

    @Test(arguments: [
        (["audit", "--no-config", "--firewall", "x.json", "--allow", "1-2"], "--firewall and --allow"),
        (["audit", "--no-config", "--firewall", "x.json", "--profile", "hetzner-robot"], "--firewall and --profile"),
        (["audit", "--no-config", "--firewall", "/nonexistent/fw.json"], "ctaudit: --firewall /nonexistent/fw.json: no such file"),
        (["check", "--no-config", "--firewall", "/nonexistent/fw.json"], "ctaudit: --firewall /nonexistent/fw.json: no such file"),
        (["watch", "--no-config", "--firewall", "/nonexistent/fw.json"], "ctaudit: --firewall /nonexistent/fw.json: no such file"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let result = try Self.ctaudit(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func badFileNamesThePlace() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("robot.json").path
        try #"{"firewall": {"rules": {"input": [{"action": "allow"}]}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Self.ctaudit(["audit", "--no-config", "--firewall", path])
        #expect(result.status == 2)
        #expect(result.stderr == "ctaudit: \(path): $.firewall.rules.input[0].action: expected \"accept\" or \"discard\", got \"allow\"\n")
        // The config's firewall: key, relative to the config file.
        let config = directory.appendingPathComponent("config.yaml").path
        try "firewall: robot.json\n".write(toFile: config, atomically: true, encoding: .utf8)
        let viaConfig = try Self.ctaudit(["audit", "--config", config])
        #expect(viaConfig.status == 2)
        #expect(viaConfig.stderr.hasPrefix("ctaudit: \(path): $.firewall.rules.input[0].action"))
        // check reads the same firewall; its allowed ports are what every reply gets through to.
        let check = try Self.ctaudit([
            "check", "--no-config", "--firewall", "\(Self.fixtures)/robot-replies.json",
            "--iptables-save", Shell.packageRoot.appendingPathComponent("Tests/Fixtures/rules/fixed-range.iptables").path,
        ])
        #expect(check.stdout.contains("allowed translated source ports: 32768-65535"), "\(check.stdout)")
        #expect(check.stdout.contains("allowed ports come from --firewall"), "\(check.stdout)")
    }
}
