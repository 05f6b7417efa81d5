import Conntrack
import Policy

/// Reads a Hetzner Robot firewall as its web service returns it
/// (`GET /firewall/{server-number}`): stateless, first match over
/// `rules.input`, and a packet no input rule matches is discarded while the
/// firewall is active. Replies are input packets: their source is the remote
/// peer and their destination port the node's translated port.
struct HetznerRobotFirewallReader {
    var file: String

    static let protocols: [String: IPProtocol] = [
        "tcp": .tcp, "udp": .udp, "icmp": .icmp, "gre": .gre, "esp": IPProtocol(rawValue: 50),
        "ah": IPProtocol(rawValue: 51), "ipip": IPProtocol(rawValue: 4),
    ]

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        let firewall = try root.required("firewall", "the Robot firewall object")
        _ = try firewall.object("the Robot firewall object")
        let status = try firewall.member("status")?.optionalString("\"active\", \"disabled\" or \"in process\"") ?? "active"
        let filterIPv6 =
            try firewall.member("filter_ipv6").map { cursor throws(FirewallFileError) -> Bool in
                cursor.isNull ? false : try cursor.bool("true or false")
            } ?? false
        let rules = try firewall.required("rules", "an object with an \"input\" list")
        _ = try rules.object("an object with an \"input\" list")
        let inputs = try rules.required("input", "the list of input rules").array("the list of input rules")

        var parsed: [FirewallRule] = []
        for (index, cursor) in inputs.enumerated() {
            parsed.append(try rule(cursor, number: index + 1))
        }
        var notes: [String] = []
        if inputs.count > 10 { notes.append("\(inputs.count) input rules; the Robot firewall holds at most 10") }
        if !filterIPv6 { notes.append("IPv6 is not filtered (filter_ipv6: false): IPv6 replies pass on any port") }
        var source = FirewallPolicy.Source(path: file, format: .hetznerRobot, rules: inputs.count, notes: notes)
        switch status {
        case "active", "in process":
            if status == "in process" { notes.append("status \"in process\": judged as the rules will be once active") }
        case "disabled":
            source.statefulReason = "the Robot firewall's status is \"disabled\": it filters nothing"
            return (source, [])
        default:
            throw firewall.member("status")!.fail("expected \"active\", \"disabled\" or \"in process\", got \"\(status)\"")
        }
        source.notes = notes
        let chain = FirewallChain(
            name: "input", rules: parsed,
            noMatch: .init(accepts: false, label: "no rule matches: discarded"))
        return (source, [FirewallStage(origin: file, family: filterIPv6 ? nil : .ipv4, entry: chain)])
    }

    private func rule(_ cursor: JSONPathCursor, number: Int) throws(FirewallFileError) -> FirewallRule {
        _ = try cursor.object("a rule object")
        let name = try cursor.member("name")?.optionalString("the rule's name")
        let actionText = try cursor.required("action", "\"accept\" or \"discard\"").string("\"accept\" or \"discard\"")
        let action: FirewallRule.Action
        switch actionText {
        case "accept": action = .accept
        case "discard": action = .drop
        default: throw cursor.member("action")!.fail("expected \"accept\" or \"discard\", got \"\(actionText)\"")
        }
        let label = name.map { "rule \"\($0)\" (input #\(number))" } ?? "input rule #\(number)"
        var rule = FirewallRule(label: label, action: action)
        if let version = try cursor.member("ip_version")?.optionalString("\"ipv4\" or \"ipv6\"") {
            switch version {
            case "ipv4": rule.family = .ipv4
            case "ipv6": rule.family = .ipv6
            default: throw cursor.member("ip_version")!.fail("expected \"ipv4\", \"ipv6\" or null, got \"\(version)\"")
            }
        }
        if let proto = try cursor.member("protocol")?.optionalString("a protocol name") {
            guard let known = Self.protocols[proto.lowercased()] else {
                throw cursor.member("protocol")!.fail(
                    "expected one of \(Self.protocols.keys.sorted().joined(separator: ", ")) or null, got \"\(proto)\"")
            }
            rule.protocols = [known]
        }
        if let text = try cursor.member("src_ip")?.optionalString("an address or CIDR"), !text.isEmpty {
            rule.remoteNetworks = [try cursor.member("src_ip")!.network(text)]
        }
        if let text = try cursor.member("dst_ip")?.optionalString("an address or CIDR"), !text.isEmpty {
            rule.localNetworks = [try cursor.member("dst_ip")!.network(text)]
        }
        rule.remotePorts = try ports(cursor.member("src_port"))
        rule.localPorts = try ports(cursor.member("dst_port"))
        if let flags = try cursor.member("tcp_flags")?.optionalString("TCP flags such as \"ack\" or \"syn|ack\""), !flags.isEmpty {
            guard let match = TCPFlagMatch(robot: flags) else {
                throw cursor.member("tcp_flags")!.fail("expected flags syn, ack, fin, rst, psh, urg joined by | or &, got \"\(flags)\"")
            }
            rule.tcpFlags = match
        }
        return rule
    }

    /// `"80"`, `"32768-65535"`, null.
    private func ports(_ cursor: JSONPathCursor?) throws(FirewallFileError) -> PortRangeSet? {
        guard let cursor, !cursor.isNull else { return nil }
        let text: String
        if let number = try? cursor.int("a port") { text = String(number) } else { text = try cursor.string("a port or LOW-HIGH") }
        if text.isEmpty { return nil }
        do {
            return try PortRangeSet(parsing: text)
        } catch {
            throw cursor.fail("expected a port or LOW-HIGH (0-65535), got \"\(text)\"")
        }
    }
}
