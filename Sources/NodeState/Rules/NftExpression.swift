import Conntrack
import Policy

/// nft JSON expressions (libnftables-json(5)) rendered back into nft syntax,
/// and the facts the checker needs from one rule's statements.
enum NftExpression {
    struct NAT {
        var action: NATAction
        var ports: PortBehaviour
    }

    /// One rule's statements, sorted.
    struct RuleMatch {
        /// The match: protocols, conditions, addresses, mark, out-interface.
        var scope = RuleScope()
        /// The rule's matches in nft syntax, without protocol matches; nil
        /// when one of them has no known rendering.
        var matchText: String?
        var nat: NAT?
        var jump: String?
        /// `return` or `accept`: later rules of the chain only see what this one did not match.
        var leaves = false
        /// The whole rule in nft syntax (best effort).
        var text: String = ""

        init(expressions: [[String: JSONDocument]]) {
            var matchParts: [String] = []
            var allParts: [String] = []
            var renderable = true
            for statement in expressions {
                if let match = statement["match"]?.objectValue {
                    let rendered = NftExpression.renderMatch(match)
                    allParts.append(rendered ?? "…")
                    if let proto = NftExpression.protocolMatch(match) {
                        scope.protocols = scope.protocols.intersecting(proto.match)
                        if !proto.alsoCondition { continue }
                    }
                    guard let rendered else {
                        renderable = false
                        continue
                    }
                    scope.conditions.append(rendered)
                    matchParts.append(rendered)
                    NftExpression.note(match, rendered: rendered, into: &scope)
                } else if let masquerade = statement["masquerade"] {
                    let options = masquerade.objectValue ?? [:]
                    nat = NAT(action: .masquerade, ports: NftExpression.ports(options))
                    allParts.append("masquerade" + NftExpression.natSuffix(options, address: nil))
                } else if let snat = statement["snat"]?.objectValue {
                    let address = snat["addr"].flatMap(NftExpression.render) ?? ""
                    nat = NAT(action: .snat(address: address), ports: NftExpression.ports(snat))
                    let family = snat["family"]?.stringValue.map { " \($0)" } ?? ""
                    allParts.append("snat\(family) to" + NftExpression.natSuffix(snat, address: address))
                } else if let target = statement["jump"]?["target"]?.stringValue {
                    self.jump = target
                    allParts.append("jump \(target)")
                } else if let target = statement["goto"]?["target"]?.stringValue {
                    self.jump = target
                    allParts.append("goto \(target)")
                } else if statement.keys.contains("return") || statement.keys.contains("accept") {
                    leaves = true
                    allParts.append(statement.keys.contains("return") ? "return" : "accept")
                } else if statement["counter"] != nil {
                    allParts.append("counter")
                } else if let key = statement.keys.first {
                    allParts.append(key == "xt" ? "xt \(statement["xt"]?["name"]?.stringValue ?? "")" : key)
                }
            }
            matchText = renderable ? matchParts.joined(separator: " ") : nil
            text = allParts.joined(separator: " ")
        }
    }

    /// Whether a rule holds an iptables-nft `xt` target (MASQUERADE, SNAT...).
    static func hasXtTarget(_ rule: [String: JSONDocument]) -> Bool {
        (rule["expr"]?.arrayValue ?? []).contains { $0["xt"]?["type"]?.stringValue == "target" }
    }

    /// `meta l4proto tcp`, `ip protocol { tcp, udp }`, and matches on
    /// `tcp dport` (which imply the protocol). `alsoCondition` is true when
    /// the match says more than the protocol (a port).
    static func protocolMatch(_ match: [String: JSONDocument]) -> (match: ProtocolMatch, alsoCondition: Bool)? {
        guard let left = match["left"], left.objectValue != nil else { return nil }
        let op = match["op"]?.stringValue ?? "=="
        if left["meta"]?["key"]?.stringValue == "l4proto" {
            return (protocols(match["right"], negated: op == "!="), false)
        }
        if let payload = left["payload"], let field = payload["field"]?.stringValue,
            let proto = payload["protocol"]?.stringValue
        {
            if field == "protocol" && proto == "ip" || field == "nexthdr" && proto == "ip6" {
                return (protocols(match["right"], negated: op == "!="), false)
            }
            if let implied = ProtocolMatch.parseProtocol(proto), proto != "ip", proto != "ip6", proto != "th" {
                return (.only([implied]), true)
            }
        }
        return nil
    }

    private static func protocols(_ right: JSONDocument?, negated: Bool) -> ProtocolMatch {
        var names: [String] = []
        if let set = right?["set"] {
            names = set.arrayValue.compactMap(\.scalarText)
        } else if let name = right?.scalarText {
            names = [name]
        }
        let set = Set(names.compactMap(ProtocolMatch.parseProtocol))
        return negated ? .any(except: set) : .only(set)
    }

    static func note(_ match: [String: JSONDocument], rendered: String, into rule: inout RuleScope) {
        let op = match["op"]?.stringValue ?? "=="
        let bang = op == "!=" ? "! " : ""
        let right = match["right"].flatMap(render) ?? ""
        guard let left = match["left"], left.objectValue != nil else { return }
        if let field = left["payload"]?["field"]?.stringValue {
            if field == "saddr" { rule.source = bang + right }
            if field == "daddr" { rule.destination = bang + right }
        } else if left["meta"]?["key"]?.stringValue == "oifname" {
            rule.outInterface = bang + right
        } else if rendered.contains("mark") {
            rule.mark = rendered
        }
    }

    static func renderMatch(_ match: [String: JSONDocument]) -> String? {
        guard let left = match["left"].flatMap(render), var right = match["right"].flatMap(render) else { return nil }
        let op = match["op"]?.stringValue ?? "=="
        // Interface names are strings to nft; quoting keeps wildcards and odd names intact.
        if let name = match["right"]?.stringValue, left.hasSuffix("ifname") { right = "\"\(name)\"" }
        switch op {
        case "==", "in": return "\(left) \(right)"
        default: return "\(left) \(op) \(right)"
        }
    }

    /// One expression in nft syntax, or nil when it has no known rendering.
    static func render(_ value: JSONDocument) -> String? {
        switch value {
        case .string(let text):
            return text.contains(where: { $0 == " " || $0 == "*" || $0 == "\"" }) || text.isEmpty ? "\"\(text)\"" : text
        case .number(let text): return text
        // A boolean right-hand side tests presence (fib, exthdr, ct): nft writes it so.
        case .bool(let present): return present ? "exists" : "missing"
        case .null: return nil
        case .array(let list):
            let items = list.compactMap(render)
            return items.count == list.count ? items.joined(separator: " ") : nil
        case .object(let object):
            guard object.count == 1, let (key, body) = object.first else { return nil }
            return render(key, body)
        }
    }

    private static func render(_ key: String, _ body: JSONDocument) -> String? {
        switch key {
        case "prefix":
            guard let address = body["addr"].flatMap(render), let length = body["len"].flatMap(render) else { return nil }
            return "\(address)/\(length)"
        case "range":
            let bounds = body.arrayValue
            guard bounds.count == 2, let low = render(bounds[0]), let high = render(bounds[1]) else { return nil }
            return "\(low)-\(high)"
        case "set":
            if case .array(let items) = body {
                let rendered = items.compactMap(render)
                return rendered.count == items.count ? "{ " + rendered.joined(separator: ", ") + " }" : nil
            }
            return render(body).map { "{ \($0) }" }
        case "concat":
            guard case .array(let items) = body else { return nil }
            let rendered = items.compactMap(render)
            return rendered.count == items.count ? rendered.joined(separator: " . ") : nil
        case "payload":
            if let proto = body["protocol"]?.stringValue, let field = body["field"]?.stringValue { return "\(proto) \(field)" }
            if let base = body["base"]?.stringValue, let offset = body["offset"].flatMap(render), let length = body["len"].flatMap(render) {
                return "@\(base),\(offset),\(length)"
            }
            return nil
        case "meta":
            guard let name = body["key"]?.stringValue else { return nil }
            return "meta \(name)"
        case "ct":
            guard let name = body["key"]?.stringValue else { return nil }
            if let direction = body["dir"]?.stringValue { return "ct \(direction) \(name)" }
            return "ct \(name)"
        case "fib":
            guard let result = body["result"]?.stringValue else { return nil }
            return "fib \(flags(body["flags"]).joined(separator: " . ")) \(result)"
        case "&", "|", "^", "<<", ">>":
            let operands = body.arrayValue
            guard operands.count == 2, let lhs = render(operands[0]), let rhs = render(operands[1]) else { return nil }
            return "\(lhs) \(key) \(rhs)"
        default:
            return nil
        }
    }

    /// `"flags": "random"` or `"flags": ["random", "persistent"]`.
    private static func flags(_ value: JSONDocument?) -> [String] {
        if let single = value?.stringValue { return [single] }
        return value?.arrayValue.compactMap(\.stringValue) ?? []
    }

    static func ports(_ options: [String: JSONDocument]) -> PortBehaviour {
        var behaviour = PortBehaviour()
        if let port = options["port"] {
            if let bounds = port["range"]?.arrayValue, bounds.count == 2,
                let low = bounds[0].intValue, let high = bounds[1].intValue
            {
                behaviour.range = PortRange(low: UInt16(clamping: min(low, high)), high: UInt16(clamping: max(low, high)))
            } else if let single = port.intValue {
                behaviour.range = PortRange(low: UInt16(clamping: single), high: UInt16(clamping: single))
            }
        }
        let flags = flags(options["flags"])
        behaviour.random = flags.contains("random")
        behaviour.randomFully = flags.contains("fully-random")
        behaviour.persistent = flags.contains("persistent")
        return behaviour
    }

    /// ` to :A-B fully-random` for masquerade, ` ADDR:A-B` for snat.
    static func natSuffix(_ options: [String: JSONDocument], address: String?) -> String {
        let ports = ports(options)
        var text = ""
        if let address {
            text += " " + (ports.range != nil && address.contains(":") ? "[\(address)]" : address)
        } else if ports.range != nil {
            text += " to "
        }
        if let range = ports.range { text += range.low == range.high ? ":\(range.low)" : ":\(range.low)-\(range.high)" }
        let flags = flags(options["flags"])
        if !flags.isEmpty { text += " " + flags.joined(separator: ",") }
        return text
    }
}
