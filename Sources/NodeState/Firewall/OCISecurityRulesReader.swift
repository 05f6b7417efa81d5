import Conntrack
import Policy

/// Reads Oracle Cloud (OCI) security rules: a security list (`oci network
/// security-list get`, kebab-case under `data`, or the API's camelCase
/// `SecurityList`), several of them (`security-list list`), or a network
/// security group's rules (`oci network nsg rules list`, or the API's list of
/// `SecurityRule`). Unknown fields are ignored.
///
/// OCI rules only allow, and a packet no rule allows is dropped. Each rule is
/// stateful or stateless (`is-stateless`, false when absent). A reply enters
/// the node, so ingress rules judge it: a stateless rule admits only what it
/// names (protocol, source, destination and source port ranges), a stateful
/// rule tracks the connection and admits its replies whatever their port
/// (as docs/FIREWALL.md decides it: the rule's protocol and source still
/// count). Egress rules are read, counted and not used for replies.
struct OCISecurityRulesReader {
    var file: String
    /// Stateful ingress rules that name ports (judged as admitting replies on any port).
    private var statefulWithPorts: [String] = []

    init(file: String) { self.file = file }

    /// One parsed rule set: its name, its ingress rules and how many rules it held.
    private struct RuleSet {
        var name: String
        var ingress: [FirewallRule] = []
        var egress = 0
        var statefulEgress = 0
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
        return field(cursor, "is-stateless") != nil || cursor.member("protocol") != nil && (cursor.member("source") != nil || cursor.member("destination") != nil)
    }

    /// A member by its CLI name (`tcp-options`) or the API's (`tcpOptions`).
    static func field(_ cursor: JSONPathCursor, _ kebab: String) -> JSONPathCursor? {
        if let found = cursor.member(kebab) { return found }
        var camel = ""
        var upper = false
        for character in kebab {
            if character == "-" { upper = true; continue }
            camel += upper ? character.uppercased() : String(character)
            upper = false
        }
        return cursor.member(camel)
    }

    mutating func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage], FirewallFormat) {
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
                for (index, item) in items.enumerated() { set.ingress.append(try ingressRule(item, label: "ingress rule #\(index + 1)")) }
                sets.append(set)
                format = .ociSecurityList
            } else {
                var set = RuleSet(name: "network security group")
                for (index, item) in items.enumerated() { try nsgRule(item, number: index + 1, into: &set) }
                sets.append(set)
                format = .ociNetworkSecurityGroup
            }
        }
        let ingress = sets.flatMap(\.ingress)
        let egress = sets.reduce(0) { $0 + $1.egress }
        let statefulEgress = sets.reduce(0) { $0 + $1.statefulEgress }
        var notes = ["\(sets.map(\.name).joined(separator: ", ")): \(ingress.count) ingress rule(s), any of which may allow a reply (OCI rules only allow)"]
        if egress > 0 {
            var note = "\(egress) egress rule(s)\(statefulEgress > 0 ? ", \(statefulEgress) stateful," : "") not used: replies are ingress packets, judged by the ingress rules"
            if statefulEgress > 0 {
                note += " (OCI also tracks what a stateful egress rule lets out and admits its replies on any port: a violation of such traffic may be a reply OCI admits; docs/FIREWALL.md)"
            }
            notes.append(note)
        }
        for family in [IPAddress.Family.ipv4, .ipv6] where !ingress.contains(where: { $0.family == family }) {
            notes.append("no ingress rule for \(family) sources: \(family) replies are dropped")
        }
        if !statefulWithPorts.isEmpty {
            notes.append("stateful and naming ports: \(statefulWithPorts.joined(separator: ", ")); judged as admitting its connections' replies on any port")
        }
        let source = FirewallPolicy.Source(path: file, format: format, rules: ingress.count + egress, notes: notes)
        let chain = FirewallChain(name: "ingress", rules: ingress,
                                  noMatch: .init(accepts: false, label: "no ingress rule allows it: dropped"))
        return (source, [FirewallStage(origin: file, family: nil, entry: chain)], format)
    }

    private mutating func securityList(_ list: JSONPathCursor, number: Int?) throws(FirewallFileError) -> RuleSet {
        _ = try list.object("a security list object")
        let display = try Self.field(list, "display-name")?.optionalString("the list's name")
        let name = display.map { "security list \"\($0)\"" } ?? number.map { "security list #\($0)" } ?? "security list"
        var set = RuleSet(name: name)
        if let rules = Self.field(list, "ingress-security-rules"), !rules.isNull {
            for (index, rule) in try rules.array("the list of ingress rules").enumerated() {
                set.ingress.append(try ingressRule(rule, label: "\(name) ingress rule #\(index + 1)"))
            }
        }
        if let rules = Self.field(list, "egress-security-rules"), !rules.isNull {
            for rule in try rules.array("the list of egress rules") {
                _ = try rule.object("an egress rule object")
                set.egress += 1
                if try !stateless(rule) { set.statefulEgress += 1 }
            }
        }
        return set
    }

    private mutating func nsgRule(_ rule: JSONPathCursor, number: Int, into set: inout RuleSet) throws(FirewallFileError) {
        _ = try rule.object("an NSG security rule object")
        let direction = try rule.required("direction", "INGRESS or EGRESS").string("INGRESS or EGRESS")
        switch direction {
        case "INGRESS": set.ingress.append(try ingressRule(rule, label: "NSG rule #\(number) (ingress)"))
        case "EGRESS":
            set.egress += 1
            if try !stateless(rule) { set.statefulEgress += 1 }
        default: throw rule.member("direction")!.fail("expected \"INGRESS\" or \"EGRESS\", got \"\(direction)\"")
        }
    }

    private func stateless(_ rule: JSONPathCursor) throws(FirewallFileError) -> Bool {
        guard let flag = Self.field(rule, "is-stateless"), !flag.isNull else { return false }
        return try flag.bool("true or false")
    }

    private mutating func ingressRule(_ cursor: JSONPathCursor, label base: String) throws(FirewallFileError) -> FirewallRule {
        _ = try cursor.object("an ingress rule object")
        let isStateless = try stateless(cursor)
        var label = base
        if let description = try cursor.member("description")?.optionalString("the rule's description"), !description.isEmpty {
            label += " \"\(description)\""
        }
        label += isStateless ? " (stateless)" : " (stateful: replies on any port)"
        var rule = FirewallRule(label: label, action: .accept)

        let protoCursor = try cursor.required("protocol", "\"all\" or a protocol number such as \"6\"")
        let protoText: String
        if let number = JSONPathCursor.wholeNumber(protoCursor.value) { protoText = String(number) } else {
            protoText = try protoCursor.string("\"all\" or a protocol number such as \"6\"")
        }
        var proto: IPProtocol?
        if protoText.lowercased() != "all" {
            // OCI writes numbers; a name (tcp, udp, icmp) in a hand-written file means the same.
            guard let number = UInt8(protoText) ?? ProtocolMatch.parseProtocol(protoText)?.rawValue else {
                throw protoCursor.fail("expected \"all\" or a protocol number such as \"6\" (tcp), \"17\" (udp), \"1\" (icmp), \"58\" (icmpv6), got \"\(protoText)\"")
            }
            proto = IPProtocol(rawValue: number)
            rule.protocols = [proto!]
        }

        let sourceCursor = try cursor.required("source", "a CIDR such as 0.0.0.0/0")
        let source = try sourceCursor.string("a CIDR such as 0.0.0.0/0")
        let sourceType = try Self.field(cursor, "source-type")?.optionalString("CIDR_BLOCK, SERVICE_CIDR_BLOCK or NETWORK_SECURITY_GROUP") ?? "CIDR_BLOCK"
        if sourceType == "CIDR_BLOCK", let network = IPNetwork.lenient(source) {
            rule.family = network.address.family
            if network.prefixLength > 0 { rule.remoteNetworks = [network] }
        } else if sourceType == "CIDR_BLOCK" {
            throw sourceCursor.fail("expected a CIDR such as 0.0.0.0/0 (source-type CIDR_BLOCK), got \"\(source)\"")
        } else {
            // A service's CIDR label or another NSG: its addresses are not in the file.
            rule.unevaluated = ["source \(source) (\(sourceType): its addresses are not in the file)"]
        }

        // A stateful rule admits its connections' replies on any port: ports do not limit them.
        guard isStateless else {
            if let options = Self.field(cursor, proto == .udp ? "udp-options" : "tcp-options"), !options.isNull,
               proto == .tcp || proto == .udp {
                statefulWithPorts.append(base)
            }
            return rule
        }
        if proto == .tcp, let options = Self.field(cursor, "tcp-options"), !options.isNull {
            try ports(options, into: &rule)
        } else if proto == .udp, let options = Self.field(cursor, "udp-options"), !options.isNull {
            try ports(options, into: &rule)
        }
        return rule
    }

    /// `destination-port-range` is the node's (translated) port, `source-port-range` the peer's.
    private func ports(_ options: JSONPathCursor, into rule: inout FirewallRule) throws(FirewallFileError) {
        _ = try options.object("port options ({\"destination-port-range\": {\"min\": ..., \"max\": ...}})")
        rule.localPorts = try range(Self.field(options, "destination-port-range"))
        rule.remotePorts = try range(Self.field(options, "source-port-range"))
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
