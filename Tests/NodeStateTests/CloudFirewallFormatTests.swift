import Conntrack
import Foundation
import TestSupport
import Testing

@testable import NodeState
@testable import Policy

/// OCI security lists and NSGs, the OVHcloud Edge Network Firewall, Scaleway
/// security groups and Cisco IOS access lists (issue 26.2): read from
/// fixtures written from the vendors' documented formats
/// (Tests/Fixtures/firewall/README.md), judged rule by rule.
@Suite("Firewall: OCI, OVHcloud, Scaleway and Cisco IOS files")
struct CloudFirewallFormatTests {
    static func flow(
        _ proto: IPProtocol = .tcp, port: UInt16, v6: Bool = false, serverPort: UInt16? = nil,
        node: String? = nil
    ) -> Flow {
        let dport = serverPort ?? (proto == .udp ? 5353 : 8080)
        return v6
            ? FlowFactory.flow(
                proto: proto, pod: "fd00:10:244::3", server: "2001:db8:2::10", dport: dport,
                node: node ?? "2001:db8:1::2", translatedPort: port)
            : FlowFactory.flow(proto: proto, dport: dport, node: node ?? "198.51.100.2", translatedPort: port)
    }

    static func parse(_ text: String, path: String = "fw.json") throws(FirewallFileError) -> FirewallPolicy {
        try FirewallFile.parse(Array(text.utf8), path: path)
    }

    static func admitted(_ firewall: FirewallPolicy) -> [String] {
        FirewallPolicy.summarized.map { "\($0.0.name)/\($0.1) \(firewall.admittedPorts($0.0, family: $0.1))" }
    }

    // MARK: OCI

    @Test func ociStatelessListAdmitsOnlyItsPorts() throws {
        let firewall = try FirewallFixtures.load("oci-security-list-stateless.json")
        #expect(firewall.sources.map(\.format) == [.ociSecurityList])
        #expect(firewall.sources[0].rules == 7)
        #expect(!firewall.isStateful)
        #expect(
            Self.admitted(firewall) == ["tcp/ipv4 32768-65535", "udp/ipv4 32768-65535", "tcp/ipv6 32768-65535", "udp/ipv6 32768-65535"])
        let accepted = firewall.decide(Self.flow(port: 40000))
        #expect(
            accepted.decidedBy
                == "security list \"k8s-nodes-stateless\" ingress rule #2 \"TCP replies\" (stateless): ipv4 tcp, dst 32768-65535 (accept)")
        #expect(firewall.decide(Self.flow(.udp, port: 1500, v6: true)).decidedBy == "no ingress rule allows it: dropped")
        #expect(firewall.sources[0].notes.contains { $0.contains("2 egress rule(s), 0 stateful and 2 stateless") })
    }

    @Test func ociStatefulTCPAndStatelessUDP() throws {
        // The API's camelCase; TCP goes out through stateful egress rules (tracked: replies on any port), UDP through stateless ones.
        let firewall = try FirewallFixtures.load("oci-security-list-mixed.json")
        #expect(firewall.sources.map(\.format) == [.ociSecurityList])
        #expect(Self.admitted(firewall) == ["tcp/ipv4 0-65535", "udp/ipv4 32768-65535", "tcp/ipv6 0-65535", "udp/ipv6 32768-65535"])
        let tcp = firewall.decide(Self.flow(port: 1500))
        #expect(tcp.accepts)
        #expect(
            tcp.decidedBy.hasPrefix(
                "security list \"k8s-nodes-mixed\" egress rule #1 (stateful): replies of connections it lets out are tracked"))
        #expect(!firewall.decide(Self.flow(.udp, port: 1500)).accepts)
        #expect(firewall.decide(Self.flow(.udp, port: 40000, v6: true)).accepts)
        #expect(firewall.sources[0].notes.contains { $0.contains("4 egress rule(s), 2 stateful and 2 stateless") })
    }

    @Test func ociDefaultListAndStatelessEgressPrecedence() throws {
        // The default security list: stateful egress to all, ingress TCP 22: every reply is tracked.
        let defaults = try Self.parse(
            #"{"egressSecurityRules": [{"destination": "0.0.0.0/0", "protocol": "all", "isStateless": false}], "ingressSecurityRules": [{"protocol": "6", "source": "0.0.0.0/0", "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}}}]}"#
        )
        #expect(Self.admitted(defaults)[0...1] == ["tcp/ipv4 0-65535", "udp/ipv4 0-65535"])
        // A stateless UDP egress rule to port 53 takes precedence over the stateful "all" one: those replies are untracked.
        let mixed = try Self.parse(
            #"{"egressSecurityRules": [{"destination": "0.0.0.0/0", "protocol": "all", "isStateless": false}, {"destination": "0.0.0.0/0", "protocol": "17", "isStateless": true, "udpOptions": {"destinationPortRange": {"min": 53, "max": 53}}}], "ingressSecurityRules": [{"protocol": "17", "source": "0.0.0.0/0", "isStateless": true, "udpOptions": {"destinationPortRange": {"min": 32768, "max": 65535}}}]}"#
        )
        #expect(!mixed.decide(Self.flow(.udp, port: 1500, serverPort: 53)).accepts)
        #expect(mixed.decide(Self.flow(.udp, port: 40000, serverPort: 53)).accepts)
        #expect(mixed.decide(Self.flow(.udp, port: 1500, serverPort: 5353)).accepts)
    }

    @Test func ociCLIAndAPISpellingsJudgeAlike() throws {
        let cli = try String(
            contentsOf: FirewallFixtures.directory.appendingPathComponent("oci-security-list-stateless.json"), encoding: .utf8)
        // The API's SecurityList: the same fields in camelCase, not wrapped in "data".
        var api = cli
        for (kebab, camel) in [
            ("ingress-security-rules", "ingressSecurityRules"), ("egress-security-rules", "egressSecurityRules"),
            ("is-stateless", "isStateless"), ("tcp-options", "tcpOptions"), ("udp-options", "udpOptions"),
            ("destination-port-range", "destinationPortRange"), ("source-port-range", "sourcePortRange"),
            ("source-type", "sourceType"), ("display-name", "displayName"), ("icmp-options", "icmpOptions"),
        ] {
            api = api.replacingOccurrences(of: "\"\(kebab)\"", with: "\"\(camel)\"")
        }
        let byCLI = try Self.parse(cli)
        let byAPI = try Self.parse(api)
        #expect(Self.admitted(byCLI) == Self.admitted(byAPI))
        for port in [1, 1500, 32767, 32768, 65535] as [UInt16] {
            for proto in [IPProtocol.tcp, .udp] {
                #expect(byCLI.decide(Self.flow(proto, port: port)) == byAPI.decide(Self.flow(proto, port: port)))
            }
        }
    }

    @Test func ociNSGRulesPeerAndUnknownSource() throws {
        let firewall = try FirewallFixtures.load("oci-nsg-rules.json")
        #expect(firewall.sources.map(\.format) == [.ociNetworkSecurityGroup])
        #expect(firewall.sources[0].rules == 4)
        // UDP only from source port 53: a DNS answer gets through, the lab's 5353 replies do not.
        #expect(firewall.decide(Self.flow(.udp, port: 1500, serverPort: 53)).accepts)
        #expect(!firewall.decide(Self.flow(.udp, port: 40000, serverPort: 5353)).accepts)
        // A stateful rule from a service CIDR label: ctaudit cannot know its addresses.
        #expect(firewall.decide(Self.flow(port: 40000)).accepts)
        let tcp = firewall.decide(Self.flow(port: 1500))
        #expect(tcp.outcome == .uncertain)
        #expect(tcp.decidedBy.contains("all-fra-services-in-oracle-services-network"))
        // No IPv6 rule: IPv6 replies are dropped, and the notes say so.
        #expect(!firewall.decide(Self.flow(port: 40000, v6: true)).accepts)
        #expect(firewall.sources[0].notes.contains { $0.contains("no ingress rule for ipv6 sources") })
    }

    @Test func ociIngressRulesAlone() throws {
        // `oci network security-list get ... --query 'data."ingress-security-rules"'`: the rules, no list around them.
        let text = """
            [{"is-stateless": true, "protocol": "6", "source": "0.0.0.0/0", "tcp-options": {"destination-port-range": {"min": 32768, "max": 65535}}},
             {"is-stateless": false, "protocol": "17", "source": "0.0.0.0/0", "source-type": "CIDR_BLOCK", "udp-options": null}]
            """
        let firewall = try Self.parse(text)
        #expect(firewall.sources.map(\.format) == [.ociSecurityList])
        #expect(Self.admitted(firewall) == ["tcp/ipv4 32768-65535", "udp/ipv4 0-65535", "tcp/ipv6 ", "udp/ipv6 "])
        #expect(firewall.sources[0].notes.contains { $0.hasPrefix("egress rules were not in the file") })
    }

    @Test func ociSeveralListsInOneFileAreAUnion() throws {
        // `oci network security-list list`: a subnet's lists apply together.
        let text = """
            {"data": [
              {"display-name": "tcp", "ingress-security-rules": [{"is-stateless": true, "protocol": "6", "source": "0.0.0.0/0",
                "tcp-options": {"destination-port-range": {"min": 1024, "max": 65535}}}], "egress-security-rules": []},
              {"display-name": "udp", "ingress-security-rules": [{"is-stateless": true, "protocol": "17", "source": "0.0.0.0/0",
                "udp-options": {"destination-port-range": {"min": 2048, "max": 65535}}}], "egress-security-rules": []}]}
            """
        let firewall = try Self.parse(text)
        #expect(Self.admitted(firewall) == ["tcp/ipv4 1024-65535", "udp/ipv4 2048-65535", "tcp/ipv6 ", "udp/ipv6 "])
        #expect(firewall.decide(Self.flow(.udp, port: 3000)).decidedBy.hasPrefix("security list \"udp\" ingress rule #1"))
    }

    @Test(
        "OCI mistakes name the place",
        arguments: [
            (
                #"{"data": {"ingress-security-rules": [{"protocol": "bogus", "source": "0.0.0.0/0"}]}}"#,
                #"fw.json: $.data.ingress-security-rules[0].protocol: expected "all" or a protocol number"#
            ),
            (
                #"{"data": {"ingress-security-rules": [{"protocol": "6"}]}}"#,
                "fw.json: $.data.ingress-security-rules[0].source: missing"
            ),
            (
                #"{"ingressSecurityRules": [{"protocol": "6", "source": "0.0.0.0/0", "isStateless": true, "tcpOptions": {"destinationPortRange": {"min": 9, "max": 1}}}]}"#,
                "fw.json: $.ingressSecurityRules[0].tcpOptions.destinationPortRange: expected 1 <= min <= max <= 65535"
            ),
            (
                #"{"data": [{"direction": "SIDEWAYS", "protocol": "6", "source": "0.0.0.0/0", "is-stateless": true}]}"#,
                #"fw.json: $.data[0].direction: expected "INGRESS" or "EGRESS""#
            ),
        ])
    func ociErrors(text: String, message: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test func severalOCIFilesAreOneUnion() throws {
        // A subnet's security lists and the VNIC's NSGs: a reply any of them allows gets through.
        let tcpOnly =
            #"{"ingressSecurityRules": [{"protocol": "6", "source": "0.0.0.0/0", "isStateless": true, "tcpOptions": {"destinationPortRange": {"min": 1024, "max": 65535}}}]}"#
        let udpOnly =
            #"{"data": [{"direction": "INGRESS", "protocol": "17", "source": "0.0.0.0/0", "is-stateless": true, "udp-options": {"destination-port-range": {"min": 1024, "max": 65535}}}]}"#
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-oci-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("list.json").path
        let second = directory.appendingPathComponent("nsg.json").path
        try tcpOnly.write(toFile: first, atomically: true, encoding: .utf8)
        try udpOnly.write(toFile: second, atomically: true, encoding: .utf8)
        let firewall = try FirewallFile.load(paths: [first, second])
        #expect(firewall.stages.count == 1)
        #expect(firewall.decide(Self.flow(port: 2000)).accepts)
        #expect(firewall.decide(Self.flow(.udp, port: 2000)).accepts)
        #expect(!firewall.decide(Self.flow(.udp, port: 1000)).accepts)
    }

    // MARK: OVHcloud

    @Test func ovhEdgeFirewallInSequenceOrder() throws {
        let firewall = try FirewallFixtures.load("ovh-edge-firewall.json")
        #expect(firewall.sources.map(\.format) == [.ovhEdgeFirewall])
        #expect(firewall.sources[0].rules == 5)
        // `established`: the SYN-ACK and the ACKs, on any port.
        let tcp = firewall.decide(Self.flow(port: 1500))
        #expect(tcp.accepts)
        #expect(tcp.decidedBy == "rule #0: ipv4 tcp ack|rst, dst 198.51.100.2/32 (accept)")
        // UDP only from source port 53; the rest meets the deny at sequence 19.
        #expect(firewall.decide(Self.flow(.udp, port: 1500, serverPort: 53)).accepts)
        let udp = firewall.decide(Self.flow(.udp, port: 40000))
        #expect(!udp.accepts)
        #expect(udp.decidedBy.hasPrefix("rule #19: ipv4 any protocol, dst 198.51.100.2/32 (discard)"))
        // IPv4 only; and another address is not behind this firewall.
        #expect(firewall.decide(Self.flow(.udp, port: 40000, v6: true)).accepts)
        #expect(
            firewall.decide(Self.flow(.udp, port: 40000, node: "198.51.100.3")).decidedBy
                == "no rule matches: let through (no default deny)")
        #expect(firewall.sources[0].notes.contains { $0.contains("does not filter IPv6") })
        #expect(Self.admitted(firewall) == ["tcp/ipv4 0-65535", "udp/ipv4 ", "tcp/ipv6 0-65535", "udp/ipv6 0-65535"])
        #expect(
            firewall.admittedSummary(nodes: [IPAddress("198.51.100.2")!]).contains(
                "udp/ipv4 to 198.51.100.2 0-65535 only from source port 53, none from other peers"),
            "\(firewall.admittedSummary(nodes: [IPAddress("198.51.100.2")!]))")
    }

    @Test func ovhSynOptionDropsTheSynAckAndDefaultsLetThrough() throws {
        let text = """
            {"ipOnFirewall": "198.51.100.2", "enabled": false, "rules": [
              {"sequence": 0, "action": "permit", "protocol": "tcp", "tcpOption": {"option": "syn", "fragments": false}, "destinationPort": "range 1024 65535"},
              {"sequence": 1, "action": "deny", "protocol": "tcp", "destinationPort": {"from": 1024, "to": 65535}},
              {"sequence": 2, "action": "deny", "protocol": "udp", "destinationPort": "lt 32768", "unknownField": {"ignored": true}}]}
            """
        let firewall = try Self.parse(text)
        let tcp = firewall.decide(Self.flow(port: 40000))
        #expect(!tcp.accepts)
        #expect(tcp.packet == "tcp syn-ack")
        #expect(!firewall.decide(Self.flow(.udp, port: 1500)).accepts)
        #expect(firewall.decide(Self.flow(.udp, port: 40000)).accepts)  // no rule matches: let through
        #expect(firewall.sources[0].notes.contains { $0.contains("enabled: false") })
    }

    @Test func ovhMoreThanTwentyRulesIsNoted() throws {
        let rules = (0..<21).map { #"{"sequence": \#($0 % 20), "action": "permit", "protocol": "tcp", "destinationPort": \#(1000 + $0)}"# }
        // 21 rules cannot have distinct sequences 0-19.
        #expect(throws: FirewallFileError.self) { try Self.parse("[" + rules.joined(separator: ",") + "]") }
        let twenty = (0..<20).map { #"{"sequence": \#($0), "action": "permit", "protocol": "udp", "destinationPort": \#(1000 + $0)}"# }
        let firewall = try Self.parse("[" + twenty.joined(separator: ",") + "]")
        #expect(!firewall.sources[0].notes.contains { $0.contains("at most 20") })
    }

    // MARK: Scaleway

    @Test func scalewayStatelessGroupAndStatefulGroup() throws {
        let stateless = try FirewallFixtures.load("scaleway-security-group-stateless.json")
        #expect(stateless.sources.map(\.format) == [.scalewaySecurityGroup])
        #expect(stateless.sources[0].rules == 6)
        #expect(
            Self.admitted(stateless) == ["tcp/ipv4 32768-65535", "udp/ipv4 32768-65535", "tcp/ipv6 32768-65535", "udp/ipv6 32768-65535"])
        #expect(stateless.decide(Self.flow(port: 1500)).decidedBy == "no rule matches: inbound_default_policy drop")
        #expect(stateless.decide(Self.flow(.udp, port: 40000)).decidedBy == "inbound rule position 2: ipv4 udp, dst 32768-65535 (accept)")

        let stateful = try FirewallFixtures.load("scaleway-security-group-stateful.json")
        #expect(stateful.isStateful)
        let decision = stateful.decide(Self.flow(.udp, port: 1))
        #expect(decision.accepts && decision.decidedBy.contains("stateful: true"))
    }

    @Test func scalewayGroupWithoutItsWrapper() throws {
        let text = """
            {"id": "g1", "name": "bare", "stateful": false, "inbound_default_policy": "drop", "outbound_default_policy": "accept",
             "rules": [{"direction": "inbound", "action": "accept", "protocol": "ANY", "ip_range": "0.0.0.0/0", "position": 1}]}
            """
        let firewall = try Self.parse(text)
        #expect(firewall.sources.map(\.format) == [.scalewaySecurityGroup])
        #expect(Self.admitted(firewall) == ["tcp/ipv4 0-65535", "udp/ipv4 0-65535", "tcp/ipv6 ", "udp/ipv6 "])
    }

    @Test func scalewayPositionsOrderTheRules() throws {
        let text = """
            {"security_group": {"name": "g", "stateful": false, "inbound_default_policy": "accept"},
             "rules": [
              {"direction": "inbound", "action": "accept", "protocol": "UDP", "ip_range": "0.0.0.0/0", "dest_port_from": 1024, "dest_port_to": 65535, "position": 2},
              {"direction": "inbound", "action": "drop", "protocol": "UDP", "ip_range": "0.0.0.0/0", "dest_port_from": 1500, "dest_port_to": null, "position": 1}]}
            """
        let firewall = try Self.parse(text)
        #expect(!firewall.decide(Self.flow(.udp, port: 1500)).accepts)
        #expect(firewall.decide(Self.flow(.udp, port: 1501)).accepts)
        #expect(firewall.decide(Self.flow(.udp, port: 80)).decidedBy == "no rule matches: inbound_default_policy accept")
    }

    // MARK: Cisco IOS

    @Test func ciscoNamedListsAppliedInbound() throws {
        let firewall = try FirewallFixtures.load("cisco-ios-acl.txt")
        #expect(firewall.sources.map(\.format) == [.ciscoACL])
        #expect(firewall.sources[0].rules == 9)
        #expect(firewall.stages.map(\.entry) == ["UPLINK-IN", "UPLINK6-IN"])
        #expect(
            Self.admitted(firewall) == ["tcp/ipv4 32768-65535", "udp/ipv4 32768-65535", "tcp/ipv6 32768-65535", "udp/ipv6 32768-65535"])
        #expect(firewall.decide(Self.flow(port: 1500)).decidedBy == "access list UPLINK-IN entry #4 (line 9): ipv4 any protocol (discard)")
        #expect(
            firewall.decide(Self.flow(.udp, port: 40000, v6: true)).decidedBy
                == "access list UPLINK6-IN entry #3 (line 16): ipv6 udp, dst 32768-65535 (accept)")
    }

    @Test func ciscoNumberedListEstablishedAndPorts() throws {
        let firewall = try FirewallFixtures.load("cisco-numbered-acl.txt")
        #expect(firewall.stages.map(\.entry) == ["101"])
        // established: ACK or RST on any port.
        #expect(firewall.admittedPorts(.tcp, family: .ipv4).description == "0-65535")
        #expect(firewall.decide(Self.flow(.udp, port: 1500, serverPort: 53)).accepts)  // eq domain
        #expect(!firewall.decide(Self.flow(.udp, port: 1000)).accepts)  // lt 1024
        #expect(firewall.decide(Self.flow(.udp, port: 1000)).decidedBy.hasPrefix("access list 101 entry #4 (line 6)"))
        #expect(!firewall.decide(Self.flow(.udp, port: 1500)).accepts)  // implicit deny
        #expect(
            firewall.decide(Self.flow(.udp, port: 1500)).decidedBy == "access list 101: no entry matches: denied (implicit deny at the end)"
        )
        #expect(firewall.decide(Self.flow(.udp, port: 32768)).accepts)  // gt 32767
        // No IPv6 list: IPv6 is not filtered.
        #expect(firewall.decide(Self.flow(.udp, port: 1, v6: true)).accepts)
        #expect(firewall.sources[0].notes.contains { $0.contains("no ipv6 access list applied inbound") })
    }

    @Test func ciscoEntriesInDetail() throws {
        let text = """
            ip access-list extended IN
             remark neq, wildcards, flags, counters as show access-lists prints them
             10 permit tcp any 198.51.100.0 0.0.0.255 neq 1500 (12 matches)
             20 permit udp any 10.0.0.0 0.255.0.255 range 2000 3000
             30 permit tcp any any match-all +ack -syn
             40 permit udp any any eq 4000 4001 dscp ef
            """
        let firewall = try Self.parse(text, path: "acl.txt")
        #expect(firewall.decide(Self.flow(port: 1501)).accepts)
        #expect(!firewall.decide(Self.flow(port: 1500)).decidedBy.contains("entry #1"))
        // After the first entry, match-all +ack -syn admits the ACKs but not the SYN-ACK.
        let handshake = firewall.decide(Self.flow(port: 1500))
        #expect(!handshake.accepts && handshake.packet == "tcp syn-ack")
        // A wildcard that is not a prefix is not judged; dscp neither.
        #expect(firewall.decide(Self.flow(.udp, port: 2500, node: "10.1.0.2")).outcome == .uncertain)
        #expect(firewall.decide(Self.flow(.udp, port: 4001)).outcome == .uncertain)
        #expect(CiscoACLEntryParser.prefixLength(wildcard: "0.0.0.255") == 24)
        #expect(CiscoACLEntryParser.prefixLength(wildcard: "0.0.0.0") == 32)
        #expect(CiscoACLEntryParser.prefixLength(wildcard: "255.255.255.255") == 0)
        #expect(CiscoACLEntryParser.prefixLength(wildcard: "0.255.0.255") == nil)
    }

    @Test func ciscoShowAccessListsOutput() throws {
        let text = """
            Extended IP access list 110
                10 permit tcp any any established (1523 matches)
                20 permit udp any any range 32768 65535 (12 matches)
                30 deny ip any any log
            """
        let firewall = try Self.parse(text, path: "show.txt")
        #expect(firewall.sources.map(\.format) == [.ciscoACL])
        #expect(Self.admitted(firewall) == ["tcp/ipv4 0-65535", "udp/ipv4 32768-65535", "tcp/ipv6 0-65535", "udp/ipv6 0-65535"])
        #expect(firewall.decide(Self.flow(.udp, port: 1500)).decidedBy == "access list 110 entry #3 (line 4): ipv4 any protocol (discard)")
    }

    @Test(
        "Cisco mistakes name the line",
        arguments: [
            ("ip access-list extended A\n permit tcp any any bogus 1\n", "acl.txt: line 2: unknown option 'bogus'"),
            (
                "ip access-list extended A\n permit tcp any any\nip access-list extended B\n deny ip any any\n",
                "acl.txt: several ipv4 access lists (A, B) and no 'ip access-group NAME in'"
            ),
            ("access-list 101 permit udp any any established\n", "acl.txt: line 1: established applies to tcp entries only"),
            ("access-list 101 permit tcp 10.0.0.1 any\n", "acl.txt: line 1: expected a wildcard mask after 10.0.0.1"),
            ("ip access-list extended A\n permit tcp any any eq\n", "acl.txt: line 2: expected a port after eq"),
        ])
    func ciscoErrors(text: String, message: String) {
        do {
            _ = try Self.parse(text, path: "acl.txt")
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }
}
