import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// The firewall change for OCI, OVHcloud, Scaleway and Cisco IOS (issue
/// 26.2), in each one's own syntax.
@Suite("Remedies: the rule to add in OCI, OVHcloud, Scaleway and Cisco IOS terms")
struct CloudFirewallRemedyTests {
    static let used = PortRange(low: 1024, high: 65535)!

    static func command(_ format: FirewallFormat, _ proto: String, _ family: IPAddress.Family = .ipv4, list: String? = nil) -> String {
        FirewallRemedy.command(format: format, proto: proto, family: family, ports: used, list: list).joined(separator: "\n")
    }

    @Test func ociSecurityListAndNSG() {
        let list = Self.command(.ociSecurityList, "udp")
        #expect(
            list.hasPrefix(
                "oci network security-list update --security-list-id SECURITY_LIST_OCID --ingress-security-rules file://ingress.json"))
        #expect(
            list.contains(
                #"{"protocol": "17", "source": "0.0.0.0/0", "sourceType": "CIDR_BLOCK", "isStateless": true, "udpOptions": {"destinationPortRange": {"min": 1024, "max": 65535}}}"#
            ))
        #expect(list.contains(#"stateful ("isStateless": false)"#))
        let nsg = Self.command(.ociNetworkSecurityGroup, "tcp", .ipv6)
        #expect(
            nsg.hasPrefix(
                #"oci network nsg rules add --nsg-id NSG_OCID --security-rules '[{"direction": "INGRESS", "protocol": "6", "source": "::/0", "sourceType": "CIDR_BLOCK", "isStateless": true, "tcpOptions": {"destinationPortRange": {"min": 1024, "max": 65535}}}]'"#
            ))
    }

    @Test func ovhEdgeFirewall() {
        #expect(
            Self.command(.ovhEdgeFirewall, "tcp").hasPrefix(
                #"POST /ip/{ip}/firewall/{ipOnFirewall}/rule {"sequence": SEQUENCE, "action": "permit", "protocol": "tcp", "tcpOption": {"option": "established"}}"#
            ))
        let udp = Self.command(.ovhEdgeFirewall, "udp")
        #expect(
            udp.hasPrefix(
                #"POST /ip/{ip}/firewall/{ipOnFirewall}/rule {"sequence": SEQUENCE, "action": "permit", "protocol": "udp", "sourcePort": SERVER_PORT}"#
            ))
        #expect(udp.contains("names one port, not the range 1024-65535"))
    }

    @Test func scalewaySecurityGroup() {
        #expect(
            Self.command(.scalewaySecurityGroup, "udp", .ipv6).hasPrefix(
                "scw instance security-group create-rule security-group-id=SECURITY_GROUP_ID direction=inbound action=accept protocol=UDP ip-range=::/0 dest-port-from=1024 dest-port-to=65535 position=1"
            ))
        #expect(Self.command(.scalewaySecurityGroup, "tcp").contains("scw instance security-group update SECURITY_GROUP_ID stateful=true"))
    }

    @Test func ciscoAccessList() {
        let tcp = FirewallRemedy.command(format: .ciscoACL, proto: "tcp", family: .ipv4, ports: Self.used, list: "UPLINK-IN")
        #expect(tcp.first == "ip access-list extended UPLINK-IN")
        #expect(tcp.last?.hasPrefix(" 5 permit tcp any any established") == true)
        let udp = FirewallRemedy.command(format: .ciscoACL, proto: "udp", family: .ipv6, ports: Self.used, list: "UPLINK6-IN")
        #expect(udp.first == "ipv6 access-list UPLINK6-IN")
        #expect(udp.last?.hasPrefix(" sequence 5 permit udp any any range 1024 65535") == true)
    }

    /// The whole way: predicted drops of a fixture, widened in its own terms.
    @Test(
        "each fixture's fix names its rule and its syntax",
        arguments: [
            (
                "oci-security-list-stateless.json", "oci network security-list update",
                "widen security list \"k8s-nodes-stateless\" ingress rule #2 \"TCP replies\" (stateless)"
            ),
            ("oci-nsg-rules.json", "oci network nsg rules add", "widen NSG rule #1 (ingress) \"TCP replies\" (stateless)"),
            ("scaleway-security-group-stateless.json", "scw instance security-group create-rule", "widen inbound rule position 1"),
            ("cisco-ios-acl.txt", "ip access-list extended UPLINK-IN", "access list UPLINK-IN entry #4 (line 9)"),
            ("ovh-edge-firewall.json", "POST /ip/{ip}/firewall/{ipOnFirewall}/rule", "no rule admits udp replies"),
        ])
    func fixtureRemedies(file: String, command: String, summary: String) throws {
        let firewall = try FirewallFixtures.load(file)
        let outside = PortRangeSet([PortRange(low: 1024, high: 32767)!])
        let drops = FirewallRemedy.predictedDrops(outside: outside, firewall: firewall, families: [.ipv4])
        #expect(!drops.isEmpty, "\(file)")
        let remedies = FirewallRemedy.widen(drops, firewall: firewall, used: Self.used)
        #expect(remedies.allSatisfy { $0.kind == .widenFirewall })
        #expect(remedies.contains { $0.summary.contains(summary) }, "\(remedies.map(\.summary)) \(drops)")
        #expect(remedies.allSatisfy { $0.commands.first?.hasPrefix(command) == true }, "\(remedies.map(\.commands))")
    }
}
