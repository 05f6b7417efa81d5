import Conntrack
import Foundation
import TestSupport
import Testing

@testable import NodeState
@testable import Policy

/// `--firewall` files, read from fixtures written from the vendors'
/// documented schemas, judged rule by rule.
@Suite("Firewall: rules decide replies")
struct FirewallPolicyTests {

    static func flow(_ proto: IPProtocol = .tcp, port: UInt16, v6: Bool = false) -> Flow {
        v6
            ? FlowFactory.flow(proto: proto, pod: "fd00:10:244::3", server: "2001:db8:2::10", node: "2001:db8:1::2", translatedPort: port)
            : FlowFactory.flow(proto: proto, translatedPort: port)
    }

    @Test func incidentRobotRuleNamesTheDecidingRule() throws {
        let firewall = try FirewallFixtures.load("robot-incident.json")
        #expect(firewall.sources.map(\.format) == [.hetznerRobot])
        let accepted = firewall.decide(Self.flow(port: 40000))
        #expect(accepted.accepts)
        #expect(accepted.decidedBy == "rule \"Allow responses\" (input #3): ipv4 tcp ack, dst 32768-65535 (accept)")
        let dropped = firewall.decide(Self.flow(port: 1500))
        #expect(!dropped.accepts)
        #expect(dropped.decidedBy == "no rule matches: discarded")
        // No UDP rule: every UDP reply is discarded, whatever its port.
        #expect(!firewall.decide(Self.flow(.udp, port: 40000)).accepts)
        // filter_ipv6 false: IPv6 is not filtered.
        #expect(firewall.decide(Self.flow(port: 1500, v6: true)).accepts)
        #expect(firewall.sources[0].notes.contains { $0.contains("filter_ipv6: false") })
        #expect(firewall.admittedPorts(.tcp, family: .ipv4).description == "22,32768-65535")  // "Allow SSH" admits any tcp to 22
        #expect(firewall.admittedPorts(.udp, family: .ipv4).ranges.isEmpty)
        #expect(firewall.admittedPorts(.udp, family: .ipv6).description == "0-65535")
    }

    @Test func robotSynOnlyRuleDropsTheAcksAfterTheHandshake() throws {
        let text = """
            {"firewall": {"status": "active", "filter_ipv6": false, "rules": {"input": [
              {"ip_version": "ipv4", "name": "syn replies", "protocol": "tcp", "dst_port": "1024-65535", "tcp_flags": "syn", "action": "accept",
               "src_ip": null, "dst_ip": null, "src_port": null}]}}}
            """
        let firewall = try FirewallFile.parse(Array(text.utf8), path: "syn.json")
        let decision = firewall.decide(Self.flow(port: 40000))
        #expect(!decision.accepts)
        #expect(decision.packet == "tcp ack")
    }

    @Test(
        "--allow is the one-rule firewall: the same fate for every flow",
        arguments: [
            "32768-65535", "1024-2047,32768-65535", "0-65535", "40000",
        ])
    func allowIsTheOneRuleCase(ranges: String) throws {
        let allowed = try PortRangeSet(parsing: ranges)
        let byRange = AuditPolicy(allowed: allowed)
        let byRule = AuditPolicy(firewall: .allowList(allowed))
        for port in [0, 1, 1023, 1024, 1500, 2047, 2048, 32767, 32768, 40000, 60999, 65535] as [UInt16] {
            for proto in [IPProtocol.tcp, .udp, .sctp] {
                let flow = FlowFactory.flow(proto: proto, translatedPort: port)
                #expect(byRange.classify(flow) == byRule.classify(flow), "\(proto) \(port)")
            }
        }
        #expect(byRule.allowed == allowed)
    }

    @Test(
        "Robot, NACL, OCI, Scaleway, Cisco and gateway files equivalent to --allow 32768-65535 judge alike",
        arguments: [
            "robot-replies.json", "aws-network-acl.json", "gateway.iptables", "gateway.nft.json",
            "oci-security-list-stateless.json", "scaleway-security-group-stateless.json", "cisco-ios-acl.txt",
        ])
    func equivalentFilesAgreeWithAllow(file: String) throws {
        let byRange = AuditPolicy(allowed: .defaultAllowed)
        let byFile = AuditPolicy(firewall: try FirewallFixtures.load(file))
        for port in [1, 1023, 1024, 1500, 32767, 32768, 40000, 65535] as [UInt16] {
            for proto in [IPProtocol.tcp, .udp] {
                for v6 in [false, true] {
                    let flow = Self.flow(proto, port: port, v6: v6)
                    #expect(byRange.classify(flow) == byFile.classify(flow), "\(file) \(proto) \(port) v6=\(v6)")
                    // The text-free fast path and the described verdict agree.
                    #expect(byFile.firewall!.admits(flow) == byFile.firewall!.decide(flow).accepts)
                }
            }
        }
        #expect(byFile.allowed == .defaultAllowed)
    }

    @Test func networkACLIsJudgedInRuleNumberOrder() throws {
        let firewall = try FirewallFixtures.load("aws-network-acl.json")
        #expect(firewall.decide(Self.flow(.udp, port: 40000)).decidedBy.hasPrefix("rule #110 (inbound): ipv4 udp, dst 32768-65535"))
        #expect(firewall.decide(Self.flow(.udp, port: 1500)).decidedBy.hasPrefix("rule * (inbound, default)"))
        // A deny numbered before the allow wins, wherever it is in the file.
        let text = """
            {"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [
              {"RuleNumber": 200, "Protocol": "6", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 65535}},
              {"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 32767}},
              {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"}]}]}
            """
        let ordered = try FirewallFile.parse(Array(text.utf8), path: "acl.json")
        #expect(ordered.decide(Self.flow(port: 2000)).decidedBy.hasPrefix("rule #90 (inbound)"))
        #expect(ordered.decide(Self.flow(port: 40000)).accepts)
    }

    @Test(
        "stateful firewalls impose no reply-port range",
        arguments: [
            ("hetzner-cloud.json", FirewallFormat.hetznerCloud, 2),
            ("aws-security-groups.json", .awsSecurityGroup, 2),
            ("gcp-firewall-rules.json", .gcpFirewall, 2),
        ])
    func statefulFirewalls(file: String, format: FirewallFormat, rules: Int) throws {
        let firewall = try FirewallFixtures.load(file)
        #expect(firewall.isStateful)
        #expect(firewall.sources.first?.format == format)
        #expect(firewall.sources.first?.rules == rules)
        let decision = firewall.decide(Self.flow(.udp, port: 1))
        #expect(decision.accepts)
        #expect(decision.decidedBy.contains("stateful") && decision.decidedBy.contains("no reply-port range"))
        #expect(AuditPolicy(firewall: firewall).allowed.description == "0-65535")
    }

    @Test func gatewayRulesetsFollowJumpsAndNameTheRule() throws {
        let iptables = try FirewallFixtures.load("gateway.iptables")
        let dropped = iptables.decide(Self.flow(.udp, port: 1500))
        #expect(dropped.decidedBy.hasPrefix("REPLY-PORTS rule #2 (line 9): ipv4 udp, dst 0-32767 (discard)"))
        let nft = try FirewallFixtures.load("gateway.nft.json")
        #expect(nft.decide(Self.flow(port: 1500)).decidedBy.hasPrefix("inet gateway replies rule #1 handle 4 \"low reply ports\""))
        #expect(nft.decide(Self.flow(port: 40000, v6: true)).decidedBy.contains("policy accept"))
    }

    @Test func statefulGatewayAcceptsEstablishedReplies() throws {
        let text = """
            *filter
            :FORWARD DROP [0:0]
            -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT
            COMMIT
            """
        let firewall = try FirewallFile.parse(Array(text.utf8), path: "stateful.rules")
        #expect(firewall.decide(Self.flow(port: 1500)).accepts)
        // A module whose answer is not in the file (the recent list) leaves the outcome unknown:
        // accepted if it matches, dropped by the policy if not: uncertain, neither a drop nor clean.
        let unknown = """
            *filter
            :FORWARD DROP [0:0]
            -A FORWARD -m recent --rcheck -j ACCEPT
            COMMIT
            """
        let pessimistic = try FirewallFile.parse(Array(unknown.utf8), path: "unknown.rules")
        #expect(pessimistic.decide(Self.flow(port: 40000)).outcome == .uncertain)
        #expect(AuditPolicy(firewall: pessimistic).classify(Self.flow(port: 40000)) == .uncertain(remapped: false))
    }

    @Test(
        "bad files: file, place, what was expected",
        arguments: [
            (
                "{\"firewall\": {\"rules\": {\"input\": [{\"action\": \"accept\", \"dst_port\": \"abc\"}]}}}",
                "bad.json: $.firewall.rules.input[0].dst_port: expected a port or LOW-HIGH (0-65535), got \"abc\""
            ),
            (
                "{\"firewall\": {\"rules\": {\"input\": [{\"protocol\": \"tcp\"}]}}}",
                "bad.json: $.firewall.rules.input[0].action: missing; expected \"accept\" or \"discard\""
            ),
            (
                "{\"firewall\": {\"status\": \"active\", \"rules\": {}}}",
                "bad.json: $.firewall.rules.input: missing; expected the list of input rules"
            ),
            ("{\"NetworkAcls\": [{}, {}]}", "bad.json: $.NetworkAcls: expected exactly one network ACL"),
            ("{\"firewall\": ", "bad.json: not valid JSON"),
            (
                "{\"hello\": 1}",
                "bad.json: $: JSON, but no firewall definition ctaudit knows; expected one of: Hetzner Robot firewall JSON, AWS network ACL"
            ),
            ("*filter\n:FORWARD ACCEPT [0:0]\nhello world\nCOMMIT\n", "bad.json: line 3: expected iptables-save output"),
            ("*filter\n-A FORWARD -p tcp --dport 99999 -j DROP\nCOMMIT\n", "bad.json: line 2: expected ports like 80"),
            ("", "bad.json: empty; expected one of: Hetzner Robot firewall JSON"),
            ("just words", "bad.json: line 1: not JSON, not iptables-save output and no Cisco access list"),
        ])
    func badFiles(content: String, message: String) {
        do {
            _ = try FirewallFile.parse(Array(content.utf8), path: "bad.json")
            Issue.record("parsed: \(content)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: FirewallFileError(path: "/nonexistent/fw.json", message: "no such file")) {
            try FirewallFile.load(path: "/nonexistent/fw.json")
        }
    }
}
