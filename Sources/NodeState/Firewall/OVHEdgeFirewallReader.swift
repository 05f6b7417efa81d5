import Conntrack
import Policy

/// Reads OVHcloud Edge Network Firewall rules as the API returns them
/// (`GET /ip/{ip}/firewall/{ipOnFirewall}/rule/{sequence}`, one object per
/// rule): a list of them, `{"rules": [...]}` (with the firewall's own
/// `ipOnFirewall`/`enabled` beside it), or a single rule. Unknown fields are
/// ignored.
///
/// The firewall is stateless and IPv4 only. Rules are judged in `sequence`
/// order (0 first), first match wins; `permit` accepts, `deny` drops, and a
/// packet no rule matches is let through: the firewall has no default deny
/// (OVHcloud's guides end a rule set with their own "deny all" at sequence
/// 19). `tcpOption` `established` matches packets with ACK or RST set (every
/// reply after the SYN, and the SYN-ACK), `syn` a SYN without ACK (a
/// connection request: never a reply).
struct OVHEdgeFirewallReader {
    var file: String

    static let protocols: [String: IPProtocol?] = [
        "tcp": .tcp, "udp": .udp, "icmp": .icmp, "gre": .gre, "esp": IPProtocol(rawValue: 50), "ah": IPProtocol(rawValue: 51),
        "ipv4": nil,
    ]

    /// Whether `root` looks like Edge Network Firewall rules (for detection).
    static func recognizes(_ root: JSONPathCursor) -> Bool {
        func isRule(_ value: JSONDocument?) -> Bool {
            guard let object = value?.objectValue, object["sequence"] != nil,
                let action = object["action"]?.stringValue
            else { return false }
            return action == "permit" || action == "deny"
        }
        if isRule(root.value) { return true }
        if case .array(let items) = root.value { return isRule(items.first) }
        if let object = root.value.objectValue, case .array(let items)? = object["rules"] {
            return isRule(items.first) || object["ipOnFirewall"] != nil
        }
        return false
    }

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        var items: [JSONPathCursor]
        var notes: [String] = []
        var ipOnFirewall: String?
        if case .array = root.value {
            items = try root.array("a list of rules")
        } else if let rules = root.member("rules") {
            items = try rules.array("the list of rules")
            ipOnFirewall = try root.member("ipOnFirewall")?.optionalString("the firewalled IPv4 address")
            if let enabled = root.member("enabled"), !enabled.isNull, try !enabled.bool("true or false") {
                notes.append(
                    "the firewall is disabled (enabled: false), but OVHcloud enables it by itself during a DDoS attack: judged as it filters then"
                )
            }
        } else {
            items = [root]
        }
        var parsed: [(sequence: Int, rule: FirewallRule)] = []
        for item in items {
            parsed.append(try rule(item, defaultDestination: ipOnFirewall))
        }
        parsed.sort { $0.sequence < $1.sequence }
        var seen = Set<Int>()
        for entry in parsed where !seen.insert(entry.sequence).inserted {
            throw root.fail("two rules have sequence \(entry.sequence); each sequence (0-19) holds one rule")
        }
        if items.count > 20 { notes.append("\(items.count) rules; the Edge Network Firewall holds at most 20 per IP") }
        notes.append("IPv4 only: the Edge Network Firewall does not filter IPv6, IPv6 replies pass on any port")
        let source = FirewallPolicy.Source(path: file, format: .ovhEdgeFirewall, rules: items.count, notes: notes)
        let chain = FirewallChain(
            name: "edge", rules: parsed.map(\.rule),
            noMatch: .init(accepts: true, label: "no rule matches: let through (no default deny)"))
        return (source, [FirewallStage(origin: file, family: .ipv4, entry: chain)])
    }

    private func rule(_ cursor: JSONPathCursor, defaultDestination: String?) throws(FirewallFileError) -> (
        sequence: Int, rule: FirewallRule
    ) {
        _ = try cursor.object("a rule object")
        let sequence = try cursor.required("sequence", "the rule's sequence (0-19)").int("a sequence number (0-19)")
        guard (0...19).contains(sequence) else { throw cursor.member("sequence")!.fail("expected a sequence 0-19, got \(sequence)") }
        let actionText = try cursor.required("action", "\"permit\" or \"deny\"").string("\"permit\" or \"deny\"")
        let action: FirewallRule.Action
        switch actionText {
        case "permit": action = .accept
        case "deny": action = .drop
        default: throw cursor.member("action")!.fail("expected \"permit\" or \"deny\", got \"\(actionText)\"")
        }
        var rule = FirewallRule(label: "rule #\(sequence)", action: action)
        rule.family = .ipv4
        let protoText = try cursor.required("protocol", "tcp, udp, icmp, gre, esp, ah or ipv4").string("a protocol name")
        guard let proto = Self.protocols[protoText.lowercased()] else {
            throw cursor.member("protocol")!.fail(
                "expected one of \(Self.protocols.keys.sorted().joined(separator: ", ")), got \"\(protoText)\"")
        }
        if let proto { rule.protocols = [proto] }
        if let text = try cursor.member("source")?.optionalString("an IPv4 CIDR or \"any\""), !text.isEmpty, text != "any" {
            let network = try cursor.member("source")!.network(text)
            if network.prefixLength > 0 { rule.remoteNetworks = [network] }
        }
        let destination = try cursor.member("destination")?.optionalString("the firewalled IPv4 address") ?? defaultDestination
        if let destination, !destination.isEmpty, destination != "any" {
            rule.localNetworks = [try (cursor.member("destination") ?? cursor).network(destination)]
        }
        if proto == .tcp || proto == .udp {
            rule.localPorts = try ports(cursor.member("destinationPort"))
            rule.remotePorts = try ports(cursor.member("sourcePort"))
        }
        // `tcpOption` is a string in GET answers and {"option": ..., "fragments": ...} in creation bodies.
        var option: String?
        var fragments = false
        if let tcpOption = cursor.member("tcpOption"), !tcpOption.isNull {
            if tcpOption.value.objectValue != nil {
                option = try tcpOption.member("option")?.optionalString("\"established\" or \"syn\"")
                if let flag = tcpOption.member("fragments"), !flag.isNull { fragments = try flag.bool("true or false") }
            } else {
                option = try tcpOption.string("\"established\" or \"syn\"")
            }
        }
        if let flag = cursor.member("fragments"), !flag.isNull { fragments = try flag.bool("true or false") || fragments }
        if let option, proto == .tcp {
            switch option {
            case "established": rule.tcpFlags = TCPFlagMatch(robot: "ack|rst")
            case "syn": rule.tcpFlags = TCPFlagMatch(robot: "syn&!ack")
            default: throw (cursor.member("tcpOption") ?? cursor).fail("expected \"established\" or \"syn\", got \"\(option)\"")
            }
        }
        if fragments { rule.conditions.append(.never("fragments (a reply packet is not a fragment)")) }
        if let state = try cursor.member("state")?.optionalString("the rule's state"), state == "removalPending" {
            rule.label += " (removal pending)"
        }
        return (sequence, rule)
    }

    /// A port as the API writes it: `22`, `"22"`, `"eq 22"`, `"range 1024 65535"`,
    /// `"1024-65535"`, `"gt 1023"`, `"lt 1024"`, or `{"from": ..., "to": ...}`.
    private func ports(_ cursor: JSONPathCursor?) throws(FirewallFileError) -> PortRangeSet? {
        guard let cursor, !cursor.isNull else { return nil }
        if let number = JSONPathCursor.wholeNumber(cursor.value) {
            guard let port = UInt16(exactly: number) else { throw cursor.fail("expected a port 0-65535, got \(number)") }
            return PortRangeSet([PortRange(low: port, high: port)!])
        }
        if cursor.value.objectValue != nil {
            let low = try cursor.required("from", "the first port").int("a port")
            let high = try cursor.required("to", "the last port").int("a port")
            guard let range = UInt16(exactly: low).flatMap({ l in UInt16(exactly: high).flatMap { PortRange(low: l, high: $0) } }) else {
                throw cursor.fail("expected 0 <= from <= to <= 65535, got \(low)-\(high)")
            }
            return PortRangeSet([range])
        }
        let text = try cursor.string("a port such as 22, \"eq 22\" or \"range 1024 65535\"").trimmingSpaces
        if text.isEmpty || text == "any" { return nil }
        let words = text.split(separator: " ").map(String.init)
        func port(_ word: String) -> UInt16? { UInt16(word) }
        var range: PortRange?
        switch words.first {
        case "eq" where words.count == 2: range = port(words[1]).flatMap { PortRange(low: $0, high: $0) }
        case "gt" where words.count == 2: range = port(words[1]).flatMap { $0 < 65535 ? PortRange(low: $0 + 1, high: 65535) : nil }
        case "lt" where words.count == 2: range = port(words[1]).flatMap { $0 > 0 ? PortRange(low: 0, high: $0 - 1) : nil }
        case "range" where words.count == 3:
            range = port(words[1]).flatMap { low in port(words[2]).flatMap { PortRange(low: low, high: $0) } }
        case "range" where words.count == 2: range = (try? PortRangeSet(parsing: words[1]))?.widest
        default: if words.count == 1, let set = try? PortRangeSet(parsing: words[0]) { return set }
        }
        guard let range else {
            throw cursor.fail("expected a port such as 22, \"eq 22\", \"gt 1023\" or \"range 1024 65535\", got \"\(text)\"")
        }
        return PortRangeSet([range])
    }
}
