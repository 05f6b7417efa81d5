import Conntrack
import Policy

/// Reads a Linux gateway's `nft -j list ruleset`: every filter base chain a
/// forwarded reply crosses (prerouting, forward, postrouting hooks; prerouting
/// and input when nothing filters forward: a host's own firewall), in hook
/// and priority order, each a stage the reply must pass. Matches are read by
/// `NftMatchReader`, with the ruleset's named sets; verdict maps are expanded
/// into one rule per element. Rules written by iptables-nft carry `xt`
/// matches whose options nft does not export: those are judged by name where
/// the name decides (`rt`: a reply has no routing header) and are otherwise
/// not evaluated.
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

    static let hookOrder = ["prerouting": 0, "input": 1, "forward": 1, "postrouting": 2]

    func read(_ root: JSONPathCursor) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        let items = try root.required("nftables", "the list from 'nft -j list ruleset'").array("the list from 'nft -j list ruleset'")
        var chains: [String: Chain] = [:]
        var order: [String] = []
        var ruleCount = 0
        var facts = GatewayFacts()
        // Named sets first: rules refer to them by name.
        var sets: [String: [String: [JSONDocument]]] = [:]
        for item in items {
            guard let set = item.value["set"]?.objectValue, let family = set["family"]?.stringValue,
                let table = set["table"]?.stringValue, let name = set["name"]?.stringValue
            else { continue }
            // A set filled at run time (timeouts, `dynamic`) holds what the export saw, not what is to come.
            let flags = set["flags"]?.arrayValue.compactMap(\.stringValue) ?? []
            guard !flags.contains("dynamic"), set["timeout"] == nil else { continue }
            sets["\(family) \(table)", default: [:]][name] = set["elem"]?.arrayValue ?? []
        }
        for item in items {
            let object = try item.object("an nftables item")
            if let chain = item.member("chain") {
                let body = try chain.object("a chain object")
                guard let family = body["family"]?.stringValue, let table = body["table"]?.stringValue, let name = body["name"]?.stringValue
                else {
                    throw chain.fail("expected a chain with family, table and name")
                }
                let key = "\(family) \(table) \(name)"
                if chains[key] == nil { order.append(key) }
                chains[key] = Chain(
                    family: family, table: table, name: name,
                    hook: body["type"]?.stringValue == "filter" ? body["hook"]?.stringValue : nil,
                    priority: Self.int(body["prio"]) ?? 0, policy: body["policy"]?.stringValue,
                    rules: chains[key]?.rules ?? [])
            } else if let rule = item.member("rule") {
                let body = try rule.object("a rule object")
                guard let family = body["family"]?.stringValue, let table = body["table"]?.stringValue,
                    let name = body["chain"]?.stringValue
                else {
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
                var label = "\(family) \(table) \(name) rule #\(position)\(handle)"
                if let comment = body["comment"]?.stringValue { label += " \"\(comment)\"" }
                let reader = NftMatchReader(sets: sets["\(family) \(table)"] ?? [:])
                for var parsed in try parseRule(expressions, label: label, reader: reader, facts: &facts) {
                    if parsed.family == nil { parsed.family = Self.family(family) }
                    chains[key]!.rules.append(parsed)
                }
                ruleCount += 1
            }
            _ = object
        }
        let families = ["ip", "ip6", "inet"]
        let all = order.compactMap { chains[$0] }.filter { $0.hook != nil && families.contains($0.family) }
        var hooks = ["prerouting", "forward", "postrouting"]
        var notes: [String] = []
        if !all.contains(where: { $0.hook == "forward" }) {
            hooks = ["prerouting", "input"]
            facts.delivered = true
            if all.contains(where: { $0.hook == "input" }) {
                notes.append("no forward filter chain: the input chains (a host firewall) are judged")
            }
        }
        var bases = all.filter { hooks.contains($0.hook!) }
        guard bases.contains(where: { $0.hook == "forward" || $0.hook == "input" }) else {
            throw FirewallFileError(
                path: file, location: "$.nftables",
                message: "no filter chain on the forward or input hook; expected the gateway's 'nft -j list ruleset'")
        }
        if all.contains(where: { chain in chain.rules.contains { $0.unevaluated.contains { $0.hasPrefix("xt ") } } }) {
            notes.append(
                "tables written by iptables-nft hold xt matches whose options 'nft -j' does not export: each is judged by its name where that decides, else not evaluated; 'iptables-save' output of the same rules is judged in full"
            )
        }
        bases.sort { (Self.hookOrder[$0.hook!] ?? 1, $0.priority) < (Self.hookOrder[$1.hook!] ?? 1, $1.priority) }
        var stages: [FirewallStage] = []
        for base in bases {
            let sameTable = order.compactMap { chains[$0] }.filter { $0.family == base.family && $0.table == base.table }
            let converted = sameTable.map { chain in
                FirewallChain(
                    name: chain.name, rules: chain.rules,
                    noMatch: chain.hook == nil
                        ? nil
                        : .init(
                            accepts: (chain.policy ?? "accept") == "accept",
                            label: "\(chain.family) \(chain.table) \(chain.name) policy \(chain.policy ?? "accept")"))
            }
            let entry = converted.first { $0.name == base.name }!
            stages.append(FirewallStage(origin: file, family: Self.family(base.family), entry: entry, others: converted, facts: facts))
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

    /// xt targets that do something and go on with the next rule.
    static let nonTerminatingTargets: Set = GatewayIptablesReader.nonTerminating

    /// One nft rule; a verdict map makes it one rule per element (in the map's
    /// order: an element matches, or the packet goes on to the next rule).
    private func parseRule(
        _ statements: [JSONPathCursor], label: String, reader: NftMatchReader,
        facts: inout GatewayFacts
    ) throws(FirewallFileError) -> [FirewallRule] {
        var rule = FirewallRule(label: label, action: .jump(""))
        var verdictMap: JSONDocument?
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
            case "counter", "log", "comment", "flow":
                continue
            case "notrack":
                facts.untracks = true
            case "mangle":
                let target = body["mangle"]?["key"]
                if target?["meta"]?["key"]?.stringValue == "mark" || target?["ct"]?["key"]?.stringValue == "mark" { facts.setsMarks = true }
            case "snat", "masquerade":
                facts.sourceNATs = true
            case "dnat", "redirect":
                facts.destinationNATs = true
            case "limit":
                let limit = body["limit"]
                let unit = limit?["rate_unit"]?.stringValue.map { " \($0)" } ?? ""
                let text =
                    "limit rate \(limit?["rate"].flatMap(NftExpression.render) ?? "?")\(unit)/\(limit?["per"]?.stringValue ?? "second")"
                rule.rateLimit = .init(text: text, over: limit?["inv"] == .bool(true))
            case "match":
                guard let match = body["match"]?.objectValue else { throw statement.fail("expected a match object") }
                if !reader.apply(match, to: &rule) {
                    rule.unevaluated.append(NftExpression.renderMatch(match) ?? "(match)")
                }
            case "xt":
                let type = body["xt"]?["type"]?.stringValue ?? "match"
                let name = body["xt"]?["name"]?.stringValue ?? "?"
                if type == "target" {
                    switch name {
                    case "REJECT", "DROP": rule.action = .drop
                    case "ACCEPT": rule.action = .accept
                    case "MARK", "CONNMARK": facts.setsMarks = true
                    case "NOTRACK", "CT": facts.untracks = true
                    case "SNAT", "MASQUERADE", "NETMAP": facts.sourceNATs = true
                    case "DNAT", "REDIRECT": facts.destinationNATs = true
                    case _ where Self.nonTerminatingTargets.contains(name): break
                    default: rule.unevaluated.append("xt target \(name)")
                    }
                } else if name == "rt" {
                    // Whatever its options, ip6t_rt matches only packets with a routing header.
                    rule.conditions.append(.never("xt match rt: a reply has no IPv6 routing header"))
                } else if name == "comment" {
                    continue
                } else {
                    rule.unevaluated.append("xt match \(name)")
                }
            case "vmap":
                verdictMap = body["vmap"]
            default:
                rule.unevaluated.append(key)
            }
        }
        guard let verdictMap else { return [rule] }
        return expand(rule, map: verdictMap, reader: reader)
    }

    /// `KEY vmap { VALUE : VERDICT, ... }` as one rule per element: the
    /// rule's other matches, `KEY == VALUE`, and the element's verdict.
    private func expand(_ rule: FirewallRule, map: JSONDocument, reader: NftMatchReader) -> [FirewallRule] {
        guard let key = map["key"], case .array(let elements)? = map["data"]?["set"] else {
            var unknown = rule
            unknown.unevaluated.append("vmap")
            return [unknown]
        }
        var rules: [FirewallRule] = []
        for (offset, element) in elements.enumerated() {
            var one = rule
            one.label += " element \(offset + 1)"
            guard case .array(let pair) = element, pair.count == 2,
                reader.apply(["op": .string("=="), "left": key, "right": pair[0]], to: &one)
            else {
                one.unevaluated.append("vmap element \(offset + 1)")
                one.action = .drop
                rules.append(one)
                continue
            }
            let verdict = pair[1]
            if verdict["accept"] != nil {
                one.action = .accept
            } else if verdict["drop"] != nil || verdict["reject"] != nil {
                one.action = .drop
            } else if verdict["return"] != nil {
                one.action = .leave
            } else if let target = verdict["jump"]?["target"]?.stringValue {
                one.action = .jump(target)
            } else if let target = verdict["goto"]?["target"]?.stringValue {
                one.action = .goto(target)
            } else {
                one.unevaluated.append("vmap verdict")
                one.action = .drop
            }
            rules.append(one)
        }
        return rules
    }
}
