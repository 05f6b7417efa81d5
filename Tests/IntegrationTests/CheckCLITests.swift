import Foundation
import Testing

/// `ctaudit check` as scripts see it: exit codes and one-line errors.
@Suite("check: command line")
struct CheckCLITests {
    static let fixtures = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/rules").path

    func ctaudit(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(Shell.ctauditBinary, arguments, environment: ["NO_COLOR": "1"])
    }

    @Test(arguments: [("fixed-range", Int32(0)), ("plain-masquerade", 1), ("k3s-flannel", 1), ("nft-masquerade-range", 0)])
    func exitStatusFollowsVerdict(_ name: String, _ status: Int32) throws {
        var arguments = ["check", "--nft-json", "\(Self.fixtures)/\(name).nft.json"]
        for suffix in ["iptables", "ip6tables"] where FileManager.default.fileExists(atPath: "\(Self.fixtures)/\(name).\(suffix)") {
            arguments += ["--iptables-save", "\(Self.fixtures)/\(name).\(suffix)"]
        }
        let result = try ctaudit(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stdout.contains("verdict: "))
    }

    /// The library says what it assumed; the CLI adds its own flags for giving it.
    @Test func assumedPortRangeNoteNamesTheFlags() throws {
        let result = try ctaudit(["check", "--iptables-save", "\(Self.fixtures)/random-fully.iptables"])
        #expect(result.stdout.contains("assuming the kernel default 32768-60999 (use --pods or --port-range)"), "\(result.stdout)")
        let ranged = try ctaudit(["check", "--iptables-save", "\(Self.fixtures)/random-fully.iptables", "--port-range", "32768-60999"])
        #expect(!ranged.stdout.contains("assuming the kernel default"), "\(ranged.stdout)")
    }

    @Test func jsonFormat() throws {
        let result = try ctaudit(["check", "--iptables-save", "\(Self.fixtures)/random-fully.iptables", "--format", "json"])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["verdict"] as? String == "broken")
    }

    @Test func truncatedJSONIsExit2NamingTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-trunc-\(UUID().uuidString).json").path
        let whole = try String(contentsOfFile: "\(Self.fixtures)/k3s-flannel.nft.json", encoding: .utf8)
        try String(whole.prefix(whole.count / 2)).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ctaudit(["check", "--nft-json", path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("ctaudit: \(path): not valid JSON"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func notAnIptablesSaveDumpIsExit2NamingTheFile() throws {
        let path = "\(Self.fixtures)/k3s-flannel.nft.json"
        let result = try ctaudit(["check", "--iptables-save", path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("ctaudit: \(path): line 1 is not iptables-save output"))
    }

    @Test func badPortRangeIsExit2() throws {
        let result = try ctaudit(["check", "--iptables-save", "\(Self.fixtures)/fixed-range.iptables", "--port-range", "60999-32768"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("reversed range"))
    }

    @Test func declaredLowPodRangeBreaksPlainMasquerade() throws {
        let result = try ctaudit(["check", "--iptables-save", "\(Self.fixtures)/plain-masquerade.iptables", "--port-range", "1024-65535"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("BROKEN"))
        #expect(result.stdout.contains("sysctl -w net.ipv4.ip_local_port_range=\"32768 60999\""))
    }

    /// check judges against the same policy as audit: --profile and the
    /// config file set the allowed ports. A --to-ports 32768-65535 rule is
    /// safe for Hetzner's rule and at risk for a firewall that stops at 60999.
    @Test func profileAndConfigFileSetTheAllowedPorts() throws {
        let rules = ["--iptables-save", "\(Self.fixtures)/fixed-range.iptables"]
        let plain = try ctaudit(["check", "--no-config"] + rules)
        #expect(plain.status == 0, "\(plain.stdout)")
        let profiled = try ctaudit(["check", "--no-config", "--profile", "linux-ephemeral"] + rules)
        #expect(profiled.status == 1, "\(profiled.stdout)")
        #expect(profiled.stdout.contains("32768-60999"))

        let config = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-check-\(UUID().uuidString).yaml").path
        try "profile: linux-ephemeral\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let configured = try ctaudit(["check", "--config", config] + rules)
        #expect(configured.status == 1, "\(configured.stdout)")
        // Flags still win over the file.
        let overridden = try ctaudit(["check", "--config", config, "--allow", "32768-65535"] + rules)
        #expect(overridden.status == 0, "\(overridden.stdout)")

        let unknown = try ctaudit(["check", "--no-config", "--profile", "nope"] + rules)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown profile 'nope'"))
    }

    /// A file that shows NAT rules exist but not what they do must not get a
    /// "safe": exit 2, one line naming the file and the output to add.
    @Test func aFileThatHidesTheNATRulesIsRefusedNotJudgedSafe() throws {
        let nft = "\(Self.fixtures)/fixed-range.nft.json"  // iptables-nft rules, seen through nft
        let hidden = try ctaudit(["check", "--no-config", "--nft-json", nft])
        #expect(hidden.status == 2, "\(hidden.stdout)")
        #expect(hidden.stdout.isEmpty)
        #expect(hidden.stderr.hasPrefix("ctaudit: \(nft): table ip nat was written by iptables-nft"), "\(hidden.stderr)")
        #expect(hidden.stderr.contains("--iptables-save") && hidden.stderr.split(separator: "\n").count == 1)

        let owned = "\(Self.fixtures)/nft-fully-random.iptables"  // an nft-owned table, seen through iptables-nft-save
        let refused = try ctaudit(["check", "--no-config", "--iptables-save", owned])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("belongs to nft") && refused.stderr.contains("--nft-json"), "\(refused.stderr)")
    }
}
