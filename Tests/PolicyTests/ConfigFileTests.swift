import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Policy

@Suite("Config file")
struct ConfigFileTests {
    static let example = """
        # ctaudit config
        profile: office-acl
        pod_cidrs:
          - 10.244.0.0/16
          - fd00:10:244::/48
        exclude_dst: [10.0.0.0/8, 192.168.0.0/16]
        profiles:
          office-acl:
            allow: 1024-2047,32768-65535
            description: the office edge ACL
          legacy:
            allow: [40000-50000, 60000-61000]
        """

    @Test func parsesEverySetting() throws {
        let config = try ConfigFile.parse(Self.example, path: "c.yaml")
        #expect(config.profileName == "office-acl")
        #expect(config.podNetworks?.map(\.description) == ["10.244.0.0/16", "fd00:10:244::/48"])
        #expect(config.excludedDestinations?.map(\.description) == ["10.0.0.0/8", "192.168.0.0/16"])
        #expect(config.profiles.map(\.name) == ["office-acl", "legacy"])
        #expect(config.profile(named: "office-acl")?.allowed.description == "1024-2047,32768-65535")
        #expect(config.profile(named: "legacy")?.allowed.description == "40000-50000,60000-61000")
        #expect(config.profile(named: "hetzner-robot")?.allowed.description == "32768-65535")
        #expect(config.allowed == nil)
    }

    @Test func builtInProfiles() {
        #expect(UpstreamProfile.builtIn(named: "hetzner-robot")?.allowed.description == "32768-65535")
        #expect(UpstreamProfile.builtIn(named: "linux-ephemeral")?.allowed.description == "32768-60999")
    }

    @Test func emptyFileIsAnEmptyConfig() throws {
        let config = try ConfigFile.parse("# nothing yet\n", path: "c.yaml")
        #expect(config.profileName == nil && config.podNetworks == nil && config.profiles.isEmpty)
    }

    @Test(arguments: [
        ("pod_cidr:\n  - 10.0.0.0/8\n", 1, "unknown setting 'pod_cidr'"),
        ("allow: 32768-65535\n\n\nexclude_dst: [10.0.0.0/8]\nfoo: 1\n", 5, "unknown setting 'foo'"),
        ("pod_cidrs:\n  - 10.0.0.0/8\n  - 10.1.2.0/16\n", 3, "host bits are set; did you mean 10.1.0.0/16?"),
        ("pod_cidrs: 10.0.0.0/8\n", 1, "'pod_cidrs' must be a list"),
        ("pod_cidrs:\n  - 10.244.0.0/16\n  - 10.42.0.0\n", 3, "no prefix length; write 10.42.0.0/16 for the network"),
        ("exclude_dst: [10.0.0.0]\n", 1, "no prefix length; write 10.0.0.0/8"),
        ("service_cidrs: [10.96.0.0]\n", 1, "no prefix length; write 10.96.0.0/16"),
        ("allow: 40000-30000\n", 1, "reversed range"),
        ("allow: 70000\n", 1, "above 65535"),
        ("allow:\n", 1, "'allow' has no value"),
        ("profile: nope\n", 1, "unknown profile 'nope' (known: hetzner-robot, linux-ephemeral"),
        ("profile: hetzner-robot\nallow: 1-2\n", 2, "set either 'profile' or 'allow', not both"),
        ("profiles:\n  hetzner-robot:\n    allow: 1-2\n", 2, "is built in"),
        ("profiles:\n  x:\n    description: no ports\n", 2, "profile 'x' has no 'allow'"),
        ("profiles:\n  x:\n    allow: 1-2\n    colour: red\n", 4, "unknown profile setting 'colour'"),
        ("allow: 1-2\nallow: 3-4\n", 2, "'allow' is set twice"),
        // The line the list was opened on (Yams says where the file ended).
        ("pod_cidrs: [10.0.0.0/8\n", 1, "invalid YAML: '[' is never closed"),
        ("- just\n- a list\n", 1, "expected a mapping"),
    ])
    func badInputNamesFileAndLine(yaml: String, line: Int, message: String) {
        do {
            _ = try ConfigFile.parse(yaml, path: "/etc/ctaudit/config.yaml")
            Issue.record("accepted bad config: \(yaml)")
        } catch {
            #expect(error.path == "/etc/ctaudit/config.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("/etc/ctaudit/config.yaml:\(line): "), "\(error)")
            #expect(error.description.contains(message), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }
}
