import Policy

/// Reads stateful cloud firewalls: Hetzner Cloud firewalls, AWS security
/// groups and GCP VPC firewall rules. Each tracks connections and admits the
/// replies of a connection it let out whatever their port, so it imposes no
/// reply-port range: the rules are read (and counted) to be sure the file is
/// what it claims, and the verdict says why no flow is dropped by it.
struct StatefulFirewallReader {
    var file: String

    func read(_ root: JSONPathCursor, format: FirewallFormat) throws(FirewallFileError) -> FirewallPolicy.Source {
        var rules = 0
        var notes: [String] = []
        switch format {
        case .hetznerCloud:
            let firewalls: [JSONPathCursor]
            if let many = root.member("firewalls") {
                firewalls = try many.array("a list of firewalls")
            } else {
                firewalls = [try root.required("firewall", "a firewall object")]
            }
            for firewall in firewalls {
                _ = try firewall.object("a Hetzner Cloud firewall object")
                for rule in try firewall.required("rules", "the list of rules").array("the list of rules") {
                    let direction = try rule.required("direction", "\"in\" or \"out\"").string("\"in\" or \"out\"")
                    guard direction == "in" || direction == "out" else {
                        throw rule.member("direction")!.fail("expected \"in\" or \"out\", got \"\(direction)\"")
                    }
                    _ = try rule.required("protocol", "tcp, udp, icmp, esp or gre").string("a protocol name")
                    rules += 1
                }
            }
            notes.append("\(firewalls.count) Hetzner Cloud firewall(s)")
        case .awsSecurityGroup:
            let groups = try root.required("SecurityGroups", "the list of security groups").array("the list of security groups")
            for group in groups {
                _ = try group.object("a security group object")
                for key in ["IpPermissions", "IpPermissionsEgress"] {
                    if let list = group.member(key) { rules += try list.array("a list of permissions").count }
                }
            }
            notes.append("\(groups.count) security group(s)")
        case .gcpFirewall:
            let items = try root.array("a list of firewall rules")
            for item in items {
                _ = try item.object("a firewall rule object")
                let direction = try item.member("direction")?.optionalString("INGRESS or EGRESS") ?? "INGRESS"
                guard direction == "INGRESS" || direction == "EGRESS" else {
                    throw item.member("direction")!.fail("expected \"INGRESS\" or \"EGRESS\", got \"\(direction)\"")
                }
                guard item.member("allowed") != nil || item.member("denied") != nil else {
                    throw item.fail("expected \"allowed\" or \"denied\"")
                }
                rules += 1
            }
        default:
            break
        }
        return FirewallPolicy.Source(
            path: file, format: format, rules: rules,
            statefulReason:
                "\(format.title) is stateful: it admits the replies of connections it let out on any port, so it imposes no reply-port range",
            notes: notes)
    }
}
