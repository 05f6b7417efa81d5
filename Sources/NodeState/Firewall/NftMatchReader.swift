import Conntrack
import Policy

/// Turns nft JSON match expressions (libnftables-json(5)) into conditions of
/// a `FirewallRule`, evaluated for a reply packet: protocols, ports (with
/// named sets resolved from the same ruleset), addresses, TCP flags, ct
/// state/status/direction/mark, meta pkttype/mark/nfproto, fib address types
/// and reverse-path lookups, the IPv6 routing header, ICMP types. A match it
/// does not model returns false and makes the rule's outcome unknown.
struct NftMatchReader {
    /// Named sets of the rule's table: `@name` → its elements.
    var sets: [String: [JSONDocument]]

    /// Puts one match into the rule; false when it is not one ctaudit models.
    func apply(_ match: [String: JSONDocument], to rule: inout FirewallRule) -> Bool {
        guard let left = match["left"]?.objectValue else { return false }
        let op = match["op"]?.stringValue ?? "=="
        let negated = op == "!="
        let right = resolved(match["right"])
        let text = NftExpression.renderMatch(match) ?? "(match)"
        if let proto = NftExpression.protocolMatch(match), !proto.alsoCondition {
            switch proto.match {
            case .only(let set): rule.protocols = set
            case .any(let except):
                rule.protocols = except
                rule.protocolsNegated = true
            }
            return true
        }
        // `X & MASK == VALUE`: TCP flags, ct status, marks.
        if case .array(let operands)? = left["&"], operands.count == 2 {
            return masked(operands[0], mask: operands[1], op: op, right: right, text: text, into: &rule)
        }
        if let meta = left["meta"], let key = meta["key"]?.stringValue {
            switch key {
            case "iifname", "oifname", "iif", "oif":
                // The reply's way towards the node: taken to match, shown in the rule.
                let name = right?.stringValue ?? right.flatMap(NftExpression.render) ?? "?"
                rule.interfaces.append("\(key.hasPrefix("i") ? "in" : "out") \(negated ? "not " : "")\(name)")
                return true
            case "nfproto":
                guard let name = right?.stringValue, let family = name == "ipv4" ? IPAddress.Family.ipv4 : name == "ipv6" ? .ipv6 : nil
                else {
                    return false
                }
                rule.family = negated ? (family == .ipv4 ? .ipv6 : .ipv4) : family
                return true
            case "pkttype":
                guard let names = strings(right) else { return false }
                rule.conditions.append(.packetType(Set(names), negated: negated))
                return true
            case "mark":
                guard let value = number(right) else { return false }
                rule.conditions.append(.mark(value: value, mask: .max, negated: negated, text: text))
                return true
            default:
                return false
            }
        }
        if let ct = left["ct"], let key = ct["key"]?.stringValue, ct["dir"] == nil {
            switch key {
            case "state":
                guard let states = strings(right) else { return false }
                rule.conditions.append(.connectionState(Set(states), negated: negated))
                return true
            case "status":
                guard let bits = strings(right) else { return false }
                rule.conditions.append(.connectionStatus(Set(bits), negated: negated, all: op == "=="))
                return true
            case "direction":
                guard let direction = right?.stringValue else { return false }
                if (direction == "reply") == negated { rule.conditions.append(.never("\(text): a reply travels in the reply direction")) }
                return true
            case "mark":
                guard let value = number(right) else { return false }
                rule.conditions.append(.mark(value: value, mask: .max, negated: negated, text: text))
                return true
            default:
                return false
            }
        }
        if let fib = left["fib"], let result = fib["result"]?.stringValue {
            let flags = fib["flags"]?.arrayValue.compactMap(\.stringValue) ?? fib["flags"]?.stringValue.map { [$0] } ?? []
            switch result {
            case "type":
                guard let types = strings(right), flags.contains("saddr") != flags.contains("daddr") else { return false }
                rule.conditions.append(
                    .addressType(ofDestination: flags.contains("daddr"), types: Set(types.map { $0.uppercased() }), negated: negated))
                return true
            case "oif", "oifname":
                // `fib saddr . iif oif missing`: the reverse-path check. The reply
                // comes in on the interface its source routes through: it passes.
                guard flags.contains("saddr"), case .bool(let present)? = right else { return false }
                if present == negated { rule.conditions.append(.never("\(text): a reply passes the reverse-path check")) }
                return true
            default:
                return false
            }
        }
        if let exthdr = left["exthdr"], exthdr["name"]?.stringValue == "rt" {
            // A reply carries no IPv6 routing header: `exthdr rt missing` holds, any other test fails.
            if exthdr["field"] == nil, case .bool(let present)? = right {
                if present != negated { rule.conditions.append(.never("\(text): a reply has no IPv6 routing header")) }
            } else {
                rule.conditions.append(.never("\(text): a reply has no IPv6 routing header"))
            }
            return true
        }
        if let payload = left["payload"], let field = payload["field"]?.stringValue, let proto = payload["protocol"]?.stringValue {
            if field == "dport" || field == "sport" {
                guard let set = ports(right, op: op) else { return false }
                if let implied = ProtocolMatch.parseProtocol(proto), proto != "th" {
                    rule.protocols = (rule.protocols ?? [implied]).intersection([implied])
                }
                if field == "dport" { rule.localPorts = set } else { rule.remotePorts = set }
                return true
            }
            if field == "saddr" || field == "daddr", proto == "ip" || proto == "ip6" {
                guard let networks = networks(right) else { return false }
                if field == "saddr" {
                    rule.remoteNetworks = networks
                    rule.remoteNegated = negated
                } else {
                    rule.localNetworks = networks
                    rule.localNegated = negated
                }
                if rule.family == nil { rule.family = proto == "ip" ? .ipv4 : .ipv6 }
                return true
            }
            if proto == "tcp", field == "flags" {
                return flags(mask: nil, op: op, right: right, into: &rule)
            }
            if (proto == "icmp" || proto == "icmpv6") && (field == "type" || field == "code") {
                let implied: IPProtocol = proto == "icmp" ? .icmp : .icmpv6
                rule.protocols = (rule.protocols ?? [implied]).intersection([implied])
                rule.conditions.append(.icmpType(text))
                return true
            }
        }
        return false
    }

    /// `{"&": [X, MASK]}` compared with a value.
    private func masked(
        _ subject: JSONDocument, mask: JSONDocument, op: String, right: JSONDocument?, text: String,
        into rule: inout FirewallRule
    ) -> Bool {
        let negated = op == "!="
        if subject["payload"]?["protocol"]?.stringValue == "tcp", subject["payload"]?["field"]?.stringValue == "flags" {
            return flags(mask: mask, op: op, right: right, into: &rule)
        }
        if subject["ct"]?["key"]?.stringValue == "status", let bits = strings(mask),
            let wanted = strings(right) ?? (number(right) == 0 ? [] : nil)
        {
            // `ct status & X == X`: all of X set; `== 0` / `!= 0`: none / some.
            if Set(wanted) == Set(bits) {
                rule.conditions.append(.connectionStatus(Set(bits), negated: negated, all: true))
            } else if wanted.isEmpty {
                rule.conditions.append(.connectionStatus(Set(bits), negated: !negated, all: false))
            } else {
                return false
            }
            return true
        }
        if subject["meta"]?["key"]?.stringValue == "mark" || subject["ct"]?["key"]?.stringValue == "mark",
            let maskValue = number(mask), let value = number(right)
        {
            rule.conditions.append(.mark(value: value, mask: maskValue, negated: negated, text: text))
            return true
        }
        return false
    }

    /// `tcp flags syn` (any of them set), `tcp flags == syn` (exactly),
    /// `tcp flags & (syn|ack) == syn|ack`, `tcp flags syn / syn,ack`, sets of those.
    private func flags(mask: JSONDocument?, op: String, right: JSONDocument?, into rule: inout FirewallRule) -> Bool {
        func flagSet(_ value: JSONDocument?) -> TCPFlags? {
            if let names = strings(value) {
                var flags: TCPFlags = []
                for name in names {
                    guard let flag = TCPFlags.named(name) ?? (["ecn", "cwr"].contains(name) ? TCPFlags(rawValue: 0) : nil) else {
                        return nil
                    }
                    flags.insert(flag)
                }
                return flags
            }
            return number(value).map { TCPFlags(rawValue: UInt8(truncatingIfNeeded: $0)) }
        }
        let all: [TCPFlags] = [.fin, .syn, .rst, .psh, .ack, .urg]
        var alternatives: [[TCPFlagMatch.Term]] = []
        let masking: TCPFlags = mask.flatMap(flagSet) ?? TCPFlags(rawValue: 0x3f)
        // Each alternative value (a set lists several) is one conjunction.
        let values: [JSONDocument] = if case .array(let items)? = right?["set"] { items } else { right.map { [$0] } ?? [] }
        for value in values {
            guard let wanted = flagSet(value) else { return false }
            if mask == nil && op == "in" {
                // Implicit: any of the listed flags set.
                for flag in all where wanted.contains(flag) { alternatives.append([.init(flag: flag, negated: false)]) }
            } else {
                alternatives.append(all.filter { masking.contains($0) }.map { .init(flag: $0, negated: !wanted.contains($0)) })
            }
        }
        guard !alternatives.isEmpty else { return false }
        var match = TCPFlagMatch(alternatives: alternatives)
        if op == "!=" {
            guard alternatives.count == 1 else { return false }
            match = match.negated
        }
        rule.tcpFlags = match
        if rule.protocols == nil { rule.protocols = [.tcp] }
        return true
    }

    /// `@name` replaced by the named set's elements, as an anonymous set.
    private func resolved(_ value: JSONDocument?) -> JSONDocument? {
        guard let name = value?.stringValue, name.hasPrefix("@") else { return value }
        guard let elements = sets[String(name.dropFirst())] else { return nil }
        return .object(["set": .array(elements)])
    }

    private func strings(_ value: JSONDocument?) -> [String]? {
        if let single = value?.stringValue { return [single] }
        if case .array(let items)? = value?["set"] ?? value {
            let names = items.compactMap(\.stringValue)
            return names.count == items.count ? names : nil
        }
        return nil
    }

    private func number(_ value: JSONDocument?) -> UInt32? {
        if let whole = GatewayNftReader.int(value), whole >= 0, whole <= Int(UInt32.max) { return UInt32(whole) }
        if let text = value?.stringValue, text.hasPrefix("0x") { return UInt32(text.dropFirst(2), radix: 16) }
        return nil
    }

    func ports(_ value: JSONDocument?, op: String) -> PortRangeSet? {
        var ranges: [PortRange] = []
        func add(_ item: JSONDocument) -> Bool {
            if let single = GatewayNftReader.int(item), (0...65535).contains(single) {
                ranges.append(PortRange(low: UInt16(single), high: UInt16(single))!)
                return true
            }
            if case .array(let bounds)? = item["range"], bounds.count == 2,
                let low = GatewayNftReader.int(bounds[0]), let high = GatewayNftReader.int(bounds[1]),
                (0...65535).contains(low), (0...65535).contains(high)
            {
                ranges.append(PortRange(low: UInt16(min(low, high)), high: UInt16(max(low, high)))!)
                return true
            }
            return false
        }
        if case .array(let set)? = value?["set"] {
            for item in set where !add(item) { return nil }
        } else if let value, !add(value) {
            return nil
        }
        guard !ranges.isEmpty else { return nil }
        let set = PortRangeSet(ranges)
        switch op {
        case "==", "in": return set
        case "!=": return set.complement
        case "<", "<=", ">", ">=":
            guard ranges.count == 1, ranges[0].low == ranges[0].high else { return nil }
            let bound = Int(ranges[0].low)
            let (low, high) =
                switch op {
                case "<": (0, bound - 1)
                case "<=": (0, bound)
                case ">": (bound + 1, 65535)
                default: (bound, 65535)
                }
            guard low <= high, low >= 0, high <= 65535 else { return PortRangeSet([]) }
            return PortRangeSet([PortRange(low: UInt16(low), high: UInt16(high))!])
        default: return nil
        }
    }

    func networks(_ value: JSONDocument?) -> [IPNetwork]? {
        func one(_ item: JSONDocument) -> [IPNetwork]? {
            if let text = item.stringValue { return IPNetwork.lenient(text).map { [$0] } }
            if let prefix = item["prefix"], let address = prefix["addr"]?.stringValue, let length = GatewayNftReader.int(prefix["len"]) {
                return IPNetwork.lenient("\(address)/\(length)").map { [$0] }
            }
            if case .array(let bounds)? = item["range"], bounds.count == 2,
                let low = bounds[0].stringValue, let high = bounds[1].stringValue
            {
                return IptablesMatchReader.range("\(low)-\(high)")
            }
            return nil
        }
        if case .array(let set)? = value?["set"] {
            var out: [IPNetwork] = []
            for item in set {
                guard let networks = one(item) else { return nil }
                out += networks
            }
            return out
        }
        return value.flatMap(one)
    }
}
