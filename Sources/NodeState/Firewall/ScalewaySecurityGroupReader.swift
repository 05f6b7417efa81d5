import Conntrack
import Policy

/// Reads a Scaleway instance security group: the group as the Instance API
/// returns it (`GET /instance/v1/zones/{zone}/security_groups/{id}`:
/// `{"security_group": {...}}`) together with its rules (`GET
/// .../security_groups/{id}/rules`: `{"rules": [...]}`), in one file:
/// `{"security_group": {...}, "rules": [...]}` (or the rules inside the
/// group). Unknown fields are ignored.
///
/// A group with `stateful: true` (the default) tracks connections and
/// admits the replies of what it let out on any port. With `stateful:
/// false` every packet is judged alone: the inbound rules in `position`
/// order, first match wins, and a packet no rule matches gets the group's
/// `inbound_default_policy`.
struct ScalewaySecurityGroupReader {
    var file: String

    /// Whether `root` looks like a Scaleway security group (for detection).
    static func recognizes(_ root: JSONPathCursor) -> Bool {
        guard let group = root.value["security_group"]?.objectValue ?? root.value.objectValue else { return false }
        return group["inbound_default_policy"] != nil || (group["stateful"] != nil && group["outbound_default_policy"] != nil)
    }

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        // The API wraps the group in "security_group"; `scw ... -o json` prints the group itself.
        let group = root.member("security_group") ?? root
        _ = try group.object("the security group object")
        let givenName = try group.member("name")?.optionalString("the group's name")
        let id = try group.member("id")?.optionalString("the group's id")
        let name = givenName ?? id ?? "security group"
        let stateful =
            try group.member("stateful").map { cursor throws(FirewallFileError) -> Bool in
                cursor.isNull ? true : try cursor.bool("true or false")
            } ?? true
        let policyText = try group.member("inbound_default_policy")?.optionalString("\"accept\" or \"drop\"") ?? "accept"
        let defaultAccepts: Bool
        switch policyText {
        case "accept": defaultAccepts = true
        case "drop": defaultAccepts = false
        default: throw group.member("inbound_default_policy")!.fail("expected \"accept\" or \"drop\", got \"\(policyText)\"")
        }
        let rulesCursor = root.member("rules") ?? group.member("rules")  // the same member when the group is the root
        let rules =
            try rulesCursor.map { cursor throws(FirewallFileError) -> [JSONPathCursor] in
                cursor.isNull ? [] : try cursor.array("the list of rules")
            } ?? []

        var inbound: [(position: Int, index: Int, rule: FirewallRule)] = []
        for (index, cursor) in rules.enumerated() {
            _ = try cursor.object("a rule object")
            let direction = try cursor.required("direction", "\"inbound\" or \"outbound\"").string("\"inbound\" or \"outbound\"")
            switch direction {
            case "inbound":
                inbound.append(
                    (
                        try cursor.member("position").map { c throws(FirewallFileError) in try c.int("a position") } ?? index + 1, index,
                        try rule(cursor)
                    ))
            case "outbound": continue
            default: throw cursor.member("direction")!.fail("expected \"inbound\" or \"outbound\", got \"\(direction)\"")
            }
        }
        inbound.sort { ($0.position, $0.index) < ($1.position, $1.index) }
        if stateful {
            let source = FirewallPolicy.Source(
                path: file, format: .scalewaySecurityGroup, rules: rules.count,
                statefulReason:
                    "\(FirewallFormat.scalewaySecurityGroup.title) \"\(name)\" is stateful (stateful: true): it admits the replies of connections it let out on any port, so it imposes no reply-port range"
            )
            return (source, [])
        }
        let source = FirewallPolicy.Source(
            path: file, format: .scalewaySecurityGroup, rules: rules.count,
            notes: [
                "\"\(name)\" is stateless (stateful: false): \(inbound.count) inbound rule(s) in position order, then inbound_default_policy \(policyText)"
            ])
        let chain = FirewallChain(
            name: "inbound", rules: inbound.map(\.rule),
            noMatch: .init(accepts: defaultAccepts, label: "no rule matches: inbound_default_policy \(policyText)"))
        return (source, [FirewallStage(origin: file, family: nil, entry: chain)])
    }

    private func rule(_ cursor: JSONPathCursor) throws(FirewallFileError) -> FirewallRule {
        let position = try cursor.member("position").map { c throws(FirewallFileError) in try c.int("a position") }
        let actionText = try cursor.required("action", "\"accept\" or \"drop\"").string("\"accept\" or \"drop\"")
        let action: FirewallRule.Action
        switch actionText {
        case "accept": action = .accept
        case "drop": action = .drop
        default: throw cursor.member("action")!.fail("expected \"accept\" or \"drop\", got \"\(actionText)\"")
        }
        var rule = FirewallRule(label: position.map { "inbound rule position \($0)" } ?? "inbound rule", action: action)
        let protoText = try cursor.required("protocol", "TCP, UDP, ICMP or ANY").string("TCP, UDP, ICMP or ANY")
        let proto: IPProtocol?
        switch protoText.uppercased() {
        case "TCP": proto = .tcp
        case "UDP": proto = .udp
        case "ICMP": proto = .icmp
        case "ANY": proto = nil
        default: throw cursor.member("protocol")!.fail("expected TCP, UDP, ICMP or ANY, got \"\(protoText)\"")
        }
        if let proto { rule.protocols = [proto] }
        if let range = try cursor.member("ip_range")?.optionalString("a CIDR such as 0.0.0.0/0") {
            let network = try cursor.member("ip_range")!.network(range)
            rule.family = network.address.family
            if network.prefixLength > 0 { rule.remoteNetworks = [network] }
        }
        if proto == .tcp || proto == .udp {
            let from = try cursor.member("dest_port_from").flatMap { c throws(FirewallFileError) -> Int? in
                c.isNull ? nil : try c.int("a port")
            }
            let to = try cursor.member("dest_port_to").flatMap { c throws(FirewallFileError) -> Int? in c.isNull ? nil : try c.int("a port")
            }
            if let from {
                let high = to ?? from
                guard let low = UInt16(exactly: from), let last = UInt16(exactly: high), let range = PortRange(low: low, high: last) else {
                    throw cursor.fail("expected 0 <= dest_port_from <= dest_port_to <= 65535, got \(from)-\(high)")
                }
                rule.localPorts = PortRangeSet([range])
            }
        }
        return rule
    }
}
