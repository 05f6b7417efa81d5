import Conntrack
import Policy

/// Reads Oracle Cloud (OCI) security rules: a security list (`oci network
/// security-list get`, kebab-case under `data`, or the API's camelCase
/// `SecurityList`), several of them (`security-list list`), or a network
/// security group's rules (`oci network nsg rules list`, or the API's list of
/// `SecurityRule`). Unknown fields are ignored.
///
/// OCI rules only allow, and a packet no rule allows is dropped. Each rule is
/// stateful or stateless (`is-stateless`, false when absent). A reply to a
/// connection the node opened is admitted when the node's packet matched a
/// stateful egress rule and no stateless one (the connection is tracked),
/// or when the reply itself matches an ingress rule by its fields
/// (`OCIReplyProgram`, docs/FIREWALL.md).
struct OCISecurityRulesReader {
    var file: String

    init(file: String) { self.file = file }

    /// One parsed rule set: its name and its rules.
    private struct RuleSet {
        var name: String
        var program = OCIReplyProgram()
        var egress: Int { program.statelessEgress.count + program.statefulEgress.count }
    }

    /// Whether `root` looks like OCI security rules (for detection).
    static func recognizes(_ root: JSONPathCursor) -> Bool {
        let body = root.member("data") ?? root
        if body.value.objectValue != nil { return isSecurityList(body) }
        guard case .array(let items) = body.value, let first = items.first else { return false }
        let cursor = JSONPathCursor(file: root.file, path: "$", value: first)
        return isSecurityList(cursor) || isSecurityRule(cursor) || isBareIngressRule(cursor)
    }

    /// An ingress rule of a security list on its own (`--query 'data."ingress-security-rules"'`).
    private static func isBareIngressRule(_ cursor: JSONPathCursor) -> Bool {
        cursor.member("direction") == nil && cursor.member("source") != nil && cursor.member("protocol") != nil
            && (field(cursor, "is-stateless") != nil || field(cursor, "tcp-options") != nil || field(cursor, "udp-options") != nil
                || field(cursor, "source-type") != nil)
    }

    private static func isSecurityList(_ cursor: JSONPathCursor) -> Bool {
        field(cursor, "ingress-security-rules") != nil || field(cursor, "egress-security-rules") != nil
    }

    private static func isSecurityRule(_ cursor: JSONPathCursor) -> Bool {
        guard cursor.member("direction")?.value.stringValue != nil else { return false }
        return field(cursor, "is-stateless") != nil
            || cursor.member("protocol") != nil && (cursor.member("source") != nil || cursor.member("destination") != nil)
    }

    /// A member by its CLI name (`tcp-options`) or the API's (`tcpOptions`).
    static func field(_ cursor: JSONPathCursor, _ kebab: String) -> JSONPathCursor? {
        if let found = cursor.member(kebab) { return found }
        var camel = ""
        var upper = false
        for character in kebab {
            if character == "-" {
                upper = true
                continue
            }
            camel += upper ? character.uppercased() : String(character)
            upper = false
        }
        return cursor.member(camel)
    }

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage], FirewallFormat) {
        let body = root.member("data") ?? root
        var sets: [RuleSet] = []
        let format: FirewallFormat
        if body.value.objectValue != nil {
            sets.append(try securityList(body, number: nil))
            format = .ociSecurityList
        } else {
            let items = try body.array("a security list, a list of security lists or a list of NSG security rules")
            if let first = items.first, Self.isSecurityList(first) {
                for (index, item) in items.enumerated() { sets.append(try securityList(item, number: index + 1)) }
                format = .ociSecurityList
            } else if let first = items.first, Self.isBareIngressRule(first) {
                var set = RuleSet(name: "security list ingress rules")
                for (index, item) in items.enumerated() {
                    set.program.ingress.append(try ingressRule(item, label: "ingress rule #\(index + 1)"))
                }
                sets.append(set)
                format = .ociSecurityList
            } else {
                var set = RuleSet(name: "network security group")
                for (index, item) in items.enumerated() { try nsgRule(item, number: index + 1, into: &set) }
                sets.append(set)
                format = .ociNetworkSecurityGroup
            }
        }
        var program = OCIReplyProgram()
        for set in sets { program += set.program }
        let source = FirewallPolicy.Source(
            path: file, format: format, rules: program.ingress.count + sets.reduce(0) { $0 + $1.egress },
            notes: Self.notes(sets.map(\.name), program))
        return (source, [program.stage(origin: file)], format)
    }

    static func notes(_ names: [String], _ program: OCIReplyProgram) -> [String] {
        var notes = [
            "\(names.joined(separator: ", ")): \(program.ingress.count) ingress rule(s), any of which may allow a reply (OCI rules only allow)"
        ]
        let stateful = program.statefulEgress.count
        let stateless = program.statelessEgress.count
        if stateful + stateless > 0 {
            notes.append(
                "\(stateful + stateless) egress rule(s), \(stateful) stateful and \(stateless) stateless: "
                    + "the replies of a connection a stateful egress rule lets out (and no stateless one matches) are tracked and admitted on any port; "
                    + "other replies only by the ingress rules")
        } else {
            notes.append(
                "egress rules were not in the file: judged by the ingress rules alone; "
                    + "replies OCI admits because a stateful egress rule tracked their connection cannot be seen, so some flows reported may be admitted"
            )
        }
        for family in [IPAddress.Family.ipv4, .ipv6]
        where !program.ingress.contains(where: { $0.family == family })
            && !program.statefulEgress.contains(where: { $0.family == family || $0.family == nil })
        {
            notes.append(
                "no ingress rule for \(family) sources and no stateful egress rule for \(family) destinations: \(family) replies are dropped"
            )
        }
        return notes
    }

    private func securityList(_ list: JSONPathCursor, number: Int?) throws(FirewallFileError) -> RuleSet {
        _ = try list.object("a security list object")
        let display = try Self.field(list, "display-name")?.optionalString("the list's name")
        let name = display.map { "security list \"\($0)\"" } ?? number.map { "security list #\($0)" } ?? "security list"
        var set = RuleSet(name: name)
        if let rules = Self.field(list, "ingress-security-rules"), !rules.isNull {
            for (index, rule) in try rules.array("the list of ingress rules").enumerated() {
                set.program.ingress.append(try ingressRule(rule, label: "\(name) ingress rule #\(index + 1)"))
            }
        }
        if let rules = Self.field(list, "egress-security-rules"), !rules.isNull {
            for (index, rule) in try rules.array("the list of egress rules").enumerated() {
                try egressRule(rule, label: "\(name) egress rule #\(index + 1)", into: &set.program)
            }
        }
        return set
    }

    private func nsgRule(_ rule: JSONPathCursor, number: Int, into set: inout RuleSet) throws(FirewallFileError) {
        _ = try rule.object("an NSG security rule object")
        let direction = try rule.required("direction", "INGRESS or EGRESS").string("INGRESS or EGRESS")
        switch direction {
        case "INGRESS": set.program.ingress.append(try ingressRule(rule, label: "NSG rule #\(number) (ingress)"))
        case "EGRESS": try egressRule(rule, label: "NSG rule #\(number) (egress)", into: &set.program)
        default: throw rule.member("direction")!.fail("expected \"INGRESS\" or \"EGRESS\", got \"\(direction)\"")
        }
    }

    private func stateless(_ rule: JSONPathCursor) throws(FirewallFileError) -> Bool {
        guard let flag = Self.field(rule, "is-stateless"), !flag.isNull else { return false }
        return try flag.bool("true or false")
    }

    /// An ingress rule admits a reply that matches it: protocol, source (the
    /// remote), destination ports (the node's), source ports (the remote's);
    /// stateful or stateless alike.
    private func ingressRule(_ cursor: JSONPathCursor, label base: String) throws(FirewallFileError) -> FirewallRule {
        _ = try cursor.object("an ingress rule object")
        var rule = try matching(cursor, label: base, peer: "source", ingress: true)
        rule.label += try stateless(cursor) ? " (stateless)" : " (stateful)"
        return rule
    }

    /// An egress rule, as the match of the replies to what it lets out.
    private func egressRule(_ cursor: JSONPathCursor, label: String, into program: inout OCIReplyProgram) throws(FirewallFileError) {
        _ = try cursor.object("an egress rule object")
        let isStateless = try stateless(cursor)
        let reply = OCIReplyProgram.replyMatch(
            of: try matching(cursor, label: label, peer: "destination", ingress: false), stateless: isStateless)
        if isStateless { program.statelessEgress.append(reply) } else { program.statefulEgress.append(reply) }
    }

    /// What a rule matches, seen from a reply: `peer` is the remote's field
    /// (`source` of an ingress rule, `destination` of an egress rule).
    private func matching(_ cursor: JSONPathCursor, label base: String, peer: String, ingress: Bool) throws(FirewallFileError)
        -> FirewallRule
    {
        var label = base
        if let description = try cursor.member("description")?.optionalString("the rule's description"), !description.isEmpty {
            label += " \"\(description)\""
        }
        var rule = FirewallRule(label: label, action: .accept)

        let protoCursor = try cursor.required("protocol", "\"all\" or a protocol number such as \"6\"")
        let protoText: String
        if let number = JSONPathCursor.wholeNumber(protoCursor.value) {
            protoText = String(number)
        } else {
            protoText = try protoCursor.string("\"all\" or a protocol number such as \"6\"")
        }
        var proto: IPProtocol?
        if protoText.lowercased() != "all" {
            // OCI writes numbers; a name (tcp, udp, icmp) in a hand-written file means the same.
            guard let number = UInt8(protoText) ?? ProtocolMatch.parseProtocol(protoText)?.rawValue else {
                throw protoCursor.fail(
                    "expected \"all\" or a protocol number such as \"6\" (tcp), \"17\" (udp), \"1\" (icmp), \"58\" (icmpv6), got \"\(protoText)\""
                )
            }
            proto = IPProtocol(rawValue: number)
            rule.protocols = [proto!]
        }

        let peerCursor = try cursor.required(peer, "a CIDR such as 0.0.0.0/0")
        let address = try peerCursor.string("a CIDR such as 0.0.0.0/0")
        let peerType =
            try Self.field(cursor, "\(peer)-type")?.optionalString("CIDR_BLOCK, SERVICE_CIDR_BLOCK or NETWORK_SECURITY_GROUP")
            ?? "CIDR_BLOCK"
        if peerType == "CIDR_BLOCK", let network = IPNetwork.lenient(address) {
            rule.family = network.address.family
            if network.prefixLength > 0 { rule.remoteNetworks = [network] }
        } else if peerType == "CIDR_BLOCK" {
            throw peerCursor.fail("expected a CIDR such as 0.0.0.0/0 (\(peer)-type CIDR_BLOCK), got \"\(address)\"")
        } else {
            // A service's CIDR label or another NSG: its addresses are not in the file.
            rule.unevaluated = ["\(peer) \(address) (\(peerType): its addresses are not in the file)"]
        }

        if proto == .tcp, let options = Self.field(cursor, "tcp-options"), !options.isNull {
            try ports(options, ingress: ingress, into: &rule)
        } else if proto == .udp, let options = Self.field(cursor, "udp-options"), !options.isNull {
            try ports(options, ingress: ingress, into: &rule)
        }
        return rule
    }

    /// Of an ingress rule, `destination-port-range` is the node's (translated)
    /// port and `source-port-range` the peer's; of an egress rule the reverse.
    private func ports(_ options: JSONPathCursor, ingress: Bool, into rule: inout FirewallRule) throws(FirewallFileError) {
        _ = try options.object("port options ({\"destination-port-range\": {\"min\": ..., \"max\": ...}})")
        let destination = try range(Self.field(options, "destination-port-range"))
        let source = try range(Self.field(options, "source-port-range"))
        rule.localPorts = ingress ? destination : source
        rule.remotePorts = ingress ? source : destination
    }

    private func range(_ cursor: JSONPathCursor?) throws(FirewallFileError) -> PortRangeSet? {
        guard let cursor, !cursor.isNull else { return nil }
        _ = try cursor.object("a port range {\"min\": ..., \"max\": ...}")
        let low = try cursor.required("min", "the first port").int("a port (1-65535)")
        let high = try cursor.required("max", "the last port").int("a port (1-65535)")
        guard (0...65535).contains(low), (0...65535).contains(high), low <= high else {
            throw cursor.fail("expected 1 <= min <= max <= 65535, got \(low)-\(high)")
        }
        return PortRangeSet([PortRange(low: UInt16(low), high: UInt16(high))!])
    }
}
