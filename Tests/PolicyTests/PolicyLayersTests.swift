import Conntrack
import TestSupport
import Testing

@testable import Policy

/// Precedence: built-in default < config file < profile < command line.
@Suite("Policy layers: which layer decides each setting")
struct PolicyLayersTests {
    static func file(_ yaml: String) throws -> ConfigFile { try ConfigFile.parse(yaml, path: "/etc/ctaudit/config.yaml") }
    static func net(_ text: String) -> IPNetwork { try! IPNetwork(parsing: text) }

    @Test func nothingGivenIsTheBuiltInDefault() throws {
        let policy = try PolicyLayers().resolve()
        #expect(policy.allowed == .defaultAllowed)
        #expect(policy.podNetworks.isEmpty)
        #expect(PolicyLayers().podNetworksOrigin(topLabel: "--pod-cidr") == nil)
    }

    @Test func theFileIsOverriddenByAProfileWhichIsOverriddenByTheTop() throws {
        let file = try Self.file(
            """
            allow: 1024-65535
            pod_cidrs: [10.1.0.0/16]
            profiles:
              office: {allow: 2000-3000}
            """)
        #expect(try PolicyLayers(file: file).allowedPorts() == PortRangeSet(parsing: "1024-65535"))
        #expect(try PolicyLayers(file: file, profile: "office").allowedPorts() == PortRangeSet(parsing: "2000-3000"))
        #expect(try PolicyLayers(file: file, profile: "linux-ephemeral").allowedPorts() == PortRangeSet(parsing: "32768-60999"))
        #expect(
            try PolicyLayers(file: file, allowed: PortRangeSet(parsing: "40000-50000")).allowedPorts()
                == PortRangeSet(parsing: "40000-50000"))
        // Pod networks: the top replaces the file's, and says where they came from.
        #expect(try PolicyLayers(file: file).resolve().podNetworks == [Self.net("10.1.0.0/16")])
        #expect(PolicyLayers(file: file).podNetworksOrigin(topLabel: "--pod-cidr") == "/etc/ctaudit/config.yaml")
        let top = PolicyLayers(file: file, podNetworks: [Self.net("10.2.0.0/16")])
        #expect(try top.resolve().podNetworks == [Self.net("10.2.0.0/16")])
        #expect(top.podNetworksOrigin(topLabel: "--pod-cidr") == "--pod-cidr")
    }

    @Test func theFilesProfileIsUsedWhenItNamesOne() throws {
        let file = try Self.file("profile: hetzner-robot\n")
        #expect(try PolicyLayers(file: file).allowedPorts() == UpstreamProfile.builtIn(named: "hetzner-robot")!.allowed)
    }

    /// Ports and firewall files are one setting: a higher layer's ports
    /// replace the file's firewall, and the top's firewall replaces the file's ports.
    @Test func portsAndFirewallFilesReplaceEachOther() throws {
        let file = try Self.file("firewall: [robot.json]\n")
        #expect(try PolicyLayers(file: file).firewallFilesInForce() == ["/etc/ctaudit/robot.json"])
        #expect(try PolicyLayers(file: file, allowed: PortRangeSet(parsing: "1-65535")).firewallFilesInForce().isEmpty)
        #expect(try PolicyLayers(file: file, profile: "hetzner-robot").firewallFilesInForce().isEmpty)
        #expect(try PolicyLayers(file: file, firewallFiles: ["gw.nft"]).firewallFilesInForce() == ["gw.nft"])
        let allowing = try Self.file("allow: 1024-65535\n")
        let withFirewall = try PolicyLayers(file: allowing, firewallFiles: ["gw.nft"])
            .resolve(firewall: .allowList(try PortRangeSet(parsing: "40000-65535")))
        #expect(withFirewall.allowed == (try PortRangeSet(parsing: "40000-65535")))
    }

    @Test(arguments: [
        (PolicyLayers(profile: "hetzner-robot", allowed: .defaultAllowed), PolicyLayers.Conflict.allowedAndProfile),
        (PolicyLayers(profile: "hetzner-robot", firewallFiles: ["f"]), .firewallAndProfile),
        (PolicyLayers(allowed: .defaultAllowed, firewallFiles: ["f"]), .allowedAndFirewall),
    ])
    func topLayerConflictsAreRefused(layers: PolicyLayers, conflict: PolicyLayers.Conflict) {
        #expect(throws: conflict) { try layers.resolve() }
        #expect(throws: conflict) { try layers.firewallFilesInForce() }
    }

    @Test func anUnknownProfileNamesTheKnownOnes() throws {
        let file = try Self.file("profiles:\n  office: {allow: 2000-3000}\n")
        #expect(throws: PolicyLayers.Conflict.unknownProfile("nope", known: file.knownProfileNames)) {
            try PolicyLayers(file: file, profile: "nope").resolve()
        }
        #expect(file.knownProfileNames.contains("office"))
    }
}
