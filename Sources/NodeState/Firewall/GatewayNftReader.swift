import Conntrack
import Policy

/// Reads a Linux gateway's `nft -j list ruleset`: every filter base chain
/// on the forward hook (or input, when nothing filters forward), in priority
/// order, each a stage a reply must pass. Matches are rendered for labels
/// with check's nft expression code (`NftExpression`).
struct GatewayNftReader {
    var file: String

    private struct Chain {
        var family: String
        var table: String
        var name: String
        var hook: String?
        var priority: Int
        var policy: String?
        var rules: [FirewallRule] = []
    }

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        let items = try root.required("nftables", "the list from 'nft -j list ruleset'").array("the list from 'nft -j list ruleset'")
        var chains: [String: Chain] = [:]
        var order: [String] = []
        var ruleCount = 0
        for item in items {
            let object = try item.object("an nftables item")
            if let chain = item.member("chain") {
                let body = try chain.object("a chain object")
                guard let family = body["family"]?.stringValue, let table = body["table"]?.stringValue, let name = body["name"]?.stringValue else {
                    throw chain.fail("expected a chain with family, table and name")
                }
                let key = "\(family) \(table) \(name)"
                if chains[key] == nil { order.append(key) }
                chains[key] = Chain(family: family, table: table, name: name,
                                    hook: body["type"]?.stringValue == "filter" ? body["hook"]?.stringValue : nil,
                                    priority: Self.int(body["prio"]) ?? 0, policy: body["policy"]?.stringValue,
                                    rules: chains[key]?.rules ?? [])
            } else if let rule = item.member("rule") {
                let body = try rule.object("a rule object")
                guard let family = body["family"]?.stringValue, let table = body["table"]?.stringValue, let name = body["chain"]?.stringValue else {
                    throw rule.fail("expected a rule with family, table and chain")
                }
                let key = "\(family) \(table) \(name)"
                if chains[key] == nil {
                    order.append(key)
                    chains[key] = Chain(family: family, table: table, name: name, hook: nil, priority: 0, policy: nil)
                }
                let handle = Self.int(body["handle"]).map { " handle \($0)" } ?? ""
                let position = chains[key]!.rules.count + 1
                let expressions = try rule.required("expr", "the rule's statements").array("the rule's statements")
                var parsed = try parseRule(expressions, label: "\(family) \(table) \(name) rule #\(position)\(handle)")
                if let comment = body["comment"]?.stringValue { parsed.label += " \"\(comment)\"" }
                parsed.family = Self.family(family)
                chains[key]!.rules.append(parsed)
                ruleCount += 1
            }
            _ = object
        }
        let families = ["ip", "ip6", "inet"]
        var hook = "forward"
        var bases = order.compactMap { chains[$0] }.filter { $0.hook == hook && families.contains($0.family) }
        var notes: [String] = []
        if bases.isEmpty {
            hook = "input"
            bases = order.compactMap { chains[$0] }.filter { $0.hook == hook && families.contains($0.family) }
            if !bases.isEmpty { notes.append("no forward filter chain: the input chains (a host firewall) are judged") }
        }
        guard !bases.isEmpty else {
            throw FirewallFileError(path: file, location: "$.nftables",
                                    message: "no filter chain on the forward or input hook; expected the gateway's 'nft -j list ruleset'")
        }
        bases.sort { $0.priority < $1.priority }
        var stages: [FirewallStage] = []
        for base in bases {
            let sameTable = order.compactMap { chains[$0] }.filter { $0.family == base.family && $0.table == base.table }
            let converted = sameTable.map { chain in
                FirewallChain(
                    name: chain.name, rules: chain.rules,
                    noMatch: chain.hook == nil ? nil
                        : .init(accepts: (chain.policy ?? "accept") == "accept",
                                label: "\(chain.family) \(chain.table) \(chain.name) policy \(chain.policy ?? "accept")"))
            }
            let entry = converted.first { $0.name == base.name }!
            stages.append(FirewallStage(origin: file, family: Self.family(base.family), entry: entry, others: converted))
        }
        return (FirewallPolicy.Source(path: file, format: .nftables, rules: ruleCount, notes: notes), stages)
    }

    /// A JSON number as an Int (nft writes handles, priorities and ports as
    /// whole numbers); nil for anything else.
    static func int(_ value: JSONDocument?) -> Int? {
        JSONPathCursor.wholeNumber(value)
    }

    static func family(_ name: String) -> IPAddress.Family? {
        name == "ip" ? .ipv4 : name == "ip6" ? .ipv6 : nil
    }

    private func parseRule(_ statements: [JSONPathCursor], label: String) throws(FirewallFileError) -> FirewallRule {
        var rule = FirewallRule(label: label, action: .jump(""))
        var rendered: [String] = []
        for statement in statements {
            let body = try statement.object("a statement object")
            guard let key = body.keys.first, body.count == 1 else { throw statement.fail("expected one statement per object") }
            switch key {
            case "accept": rule.action = .accept
            case "drop", "reject": rule.action = .drop
            case "return": rule.action = .leave
            case "jump", "goto":
                guard let target = body[key]?["target"]?.stringValue else {
                    throw statement.fail("expected {\"\(key)\": {\"target\": CHAIN}}")
                }
                rule.action = key == "jump" ? .jump(target) : .goto(target)
            case "counter", "log", "comment", "notrack", "mangle":
                continue
            case "match":
                guard let match = body["match"]?.objectValue else { throw statement.fail("expected a match object") }
                if !apply(match, to: &rule) {
                    rule.unevaluated.append(NftExpression.renderMatch(match) ?? "(match)")
                }
                if let text = NftExpression.renderMatch(match) { rendered.append(text) }
            default:
                rule.unevaluated.append(key)
            }
        }
        return rule
    }

    /// Puts one match into the rule; false when it is not one ctaudit models.
    private func apply(_ match: [String: JSONDocument], to rule: inout FirewallRule) -> Bool {
        guard let left = match["left"]?.objectValue else { return false }
        let op = match["op"]?.stringValue ?? "=="
        let negated = op == "!="
        let right = match["right"]
        if let proto = NftExpression.protocolMatch(match), !proto.alsoCondition {
            switch proto.match {
            case .only(let set): rule.protocols = set
            case .any(let except): rule.protocols = except; rule.protocolsNegated = true
            }
            return true
        }
        if let meta = left["meta"], let key = meta["key"]?.stringValue {
            switch key {
            case "iifname", "oifname", "iif", "oif":
                // The reply's way towards the node: taken to match, shown in the rule.
                let name = right?.stringValue ?? NftExpression.render(right ?? .string("")) ?? "?"
                rule.interfaces.append("\(key.hasPrefix("i") ? "in" : "out") \(negated ? "not " : "")\(name)")
                return true
            case "nfproto":
                if let name = right?.stringValue, let family = name == "ipv4" ? IPAddress.Family.ipv4 : name == "ipv6" ? .ipv6 : nil {
                    if negated { rule.family = family == .ipv4 ? .ipv6 : .ipv4 } else { rule.family = family }
                    return true
                }
                return false
            default: return false
            }
        }
        if let ct = left["ct"], ct["key"]?.stringValue == "state" {
            var states: [String] = []
            if let name = right?.stringValue { states = [name] }
            if case .array(let set)? = right?["set"] { states = set.compactMap(\.stringValue) }
            if case .array(let list)? = right { states = list.compactMap(\.stringValue) }
            guard !states.isEmpty else { return false }
            rule.connectionStates = Set(states)
            rule.connectionStatesNegated = negated
            return true
        }
        if let payload = left["payload"], let field = payload["field"]?.stringValue,
           let proto = payload["protocol"]?.stringValue {
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
                if field == "saddr" { rule.remoteNetworks = networks; rule.remoteNegated = negated }
                else { rule.localNetworks = networks; rule.localNegated = negated }
                return true
            }
        }
        return false
    }

    private func ports(_ value: JSONDocument?, op: String) -> PortRangeSet? {
        func port(_ item: JSONDocument?) -> Int? { Self.int(item) }
        var ranges: [PortRange] = []
        func add(_ item: JSONDocument) -> Bool {
            if let single = port(item), (0...65535).contains(single) {
                ranges.append(PortRange(low: UInt16(single), high: UInt16(single))!)
                return true
            }
            if case .array(let bounds)? = item["range"], bounds.count == 2,
               let low = port(bounds[0]), let high = port(bounds[1]), (0...65535).contains(low), (0...65535).contains(high) {
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
            let (low, high) = switch op {
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

    private func networks(_ value: JSONDocument?) -> [IPNetwork]? {
        func one(_ item: JSONDocument) -> IPNetwork? {
            if let text = item.stringValue { return IPNetwork.lenient(text) }
            if let prefix = item["prefix"], let address = prefix["addr"]?.stringValue,
               let length = Self.int(prefix["len"]) {
                return IPNetwork.lenient("\(address)/\(length)")
            }
            return nil
        }
        if case .array(let set)? = value?["set"] {
            let parsed = set.compactMap(one)
            return parsed.count == set.count ? parsed : nil
        }
        return value.flatMap(one).map { [$0] }
    }
}
