import Conntrack
import Policy

/// Reads `aws ec2 describe-network-acls` output. Network ACLs are stateless:
/// a reply entering the subnet is judged by the inbound entries (`Egress:
/// false`) in rule-number order, first match wins; rule `*` (32767) denies
/// what nothing else matched.
struct AWSNetworkACLReader {
    var file: String

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        let acls = try root.required("NetworkAcls", "the list of network ACLs").array("the list of network ACLs")
        guard acls.count == 1 else {
            throw root.member("NetworkAcls")!.fail(
                "expected exactly one network ACL (the one of the node's subnet: aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=SUBNET), got \(acls.count)"
            )
        }
        let acl = acls[0]
        _ = try acl.object("a network ACL object")
        let id = try acl.member("NetworkAclId")?.optionalString("the ACL id") ?? "network ACL"
        let entries = try acl.required("Entries", "the list of ACL entries").array("the list of ACL entries")
        var inbound: [(number: Int, rule: FirewallRule)] = []
        for entry in entries {
            _ = try entry.object("an ACL entry")
            let egress = try entry.required("Egress", "true or false").bool("true or false")
            if egress { continue }
            inbound.append(try rule(entry, acl: id))
        }
        inbound.sort { $0.number < $1.number }
        let source = FirewallPolicy.Source(
            path: file, format: .awsNetworkACL, rules: entries.count,
            notes: ["\(id): \(inbound.count) inbound entries, in rule-number order"])
        let chain = FirewallChain(
            name: "inbound", rules: inbound.map(\.rule),
            noMatch: .init(accepts: false, label: "no rule matches: denied (rule *)"))
        return (source, [FirewallStage(origin: file, family: nil, entry: chain)])
    }

    private func rule(_ entry: JSONPathCursor, acl: String) throws(FirewallFileError) -> (number: Int, rule: FirewallRule) {
        let number = try entry.required("RuleNumber", "a rule number").int("a rule number (1-32767)")
        // 32767 (IPv4) and 32768 (IPv6) are the `*` entries that deny the rest.
        guard (1...32768).contains(number) else {
            throw entry.member("RuleNumber")!.fail("expected 1-32766, or 32767/32768 for rule *, got \(number)")
        }
        let actionText = try entry.required("RuleAction", "\"allow\" or \"deny\"").string("\"allow\" or \"deny\"")
        let action: FirewallRule.Action
        switch actionText.lowercased() {
        case "allow": action = .accept
        case "deny": action = .drop
        default: throw entry.member("RuleAction")!.fail("expected \"allow\" or \"deny\", got \"\(actionText)\"")
        }
        let label = number >= 32767 ? "rule * (inbound, default)" : "rule #\(number) (inbound)"
        var rule = FirewallRule(label: label, action: action)
        let protoCursor = try entry.required("Protocol", "\"-1\" (all) or a protocol number")
        let protoText: String
        if let number = try? protoCursor.int("a protocol number") {
            protoText = String(number)
        } else {
            protoText = try protoCursor.string("\"-1\" (all) or a protocol number")
        }
        if protoText != "-1" && protoText.lowercased() != "all" {
            guard let proto = UInt8(protoText).map(IPProtocol.init(rawValue:)) ?? ProtocolMatch.parseProtocol(protoText) else {
                throw protoCursor.fail("expected \"-1\" or a protocol number such as \"6\" (tcp) or \"17\" (udp), got \"\(protoText)\"")
            }
            rule.protocols = [proto]
            if proto == .tcp || proto == .udp, let range = entry.member("PortRange"), !range.isNull {
                let from = try range.required("From", "the first port").int("a port")
                let to = try range.required("To", "the last port").int("a port")
                guard (0...65535).contains(from), (0...65535).contains(to), from <= to else {
                    throw range.fail("expected 0 <= From <= To <= 65535, got \(from)-\(to)")
                }
                rule.localPorts = PortRangeSet([PortRange(low: UInt16(from), high: UInt16(to))!])
            }
        }
        if let v4 = try entry.member("CidrBlock")?.optionalString("an IPv4 CIDR") {
            rule.remoteNetworks = [try entry.member("CidrBlock")!.network(v4)]
            rule.family = .ipv4
        } else if let v6 = try entry.member("Ipv6CidrBlock")?.optionalString("an IPv6 CIDR") {
            rule.remoteNetworks = [try entry.member("Ipv6CidrBlock")!.network(v6)]
            rule.family = .ipv6
        } else {
            throw entry.fail("expected CidrBlock or Ipv6CidrBlock")
        }
        // 0.0.0.0/0 and ::/0 match every peer: say so plainly.
        if let network = rule.remoteNetworks?.first, network.prefixLength == 0 { rule.remoteNetworks = nil }
        return (number, rule)
    }
}
