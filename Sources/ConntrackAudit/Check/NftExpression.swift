import Foundation
import Conntrack

/// nft JSON expressions (libnftables-json(5)) rendered back into nft syntax,
/// and the facts the checker needs from one rule's statements.
enum NftExpression {
    struct Inherited {
        var conditions: [String] = []
        var protocols: ProtocolMatch = .all
        var source: String?
        var destination: String?
        var mark: String?
        var outInterface: String?
    }

    struct NAT {
        var action: NATAction
        var ports: PortBehaviour
    }

    /// One rule's statements, sorted.
    struct RuleMatch {
        var conditions: [String] = []
        var protocols: ProtocolMatch = .all
        var source: String?
        var destination: String?
        var mark: String?
        var outInterface: String?
        /// The rule's matches in nft syntax, without protocol matches; nil
        /// when one of them has no known rendering.
        var matchText: String?
        var nat: NAT?
        var jump: String?
        /// `return` or `accept`: later rules of the chain only see what this one did not match.
        var leaves = false
        /// The whole rule in nft syntax (best effort).
        var text: String = ""

        init(expressions: [[String: Any]]) {
            var matchParts: [String] = []
            var allParts: [String] = []
            var renderable = true
            for statement in expressions {
                if let match = statement["match"] as? [String: Any] {
                    let rendered = NftExpression.renderMatch(match)
                    allParts.append(rendered ?? "…")
                    if let proto = NftExpression.protocolMatch(match) {
                        protocols = protocols.intersecting(proto.match)
                        if !proto.alsoCondition { continue }
                    }
                    guard let rendered else { renderable = false; continue }
                    conditions.append(rendered)
                    matchParts.append(rendered)
                    NftExpression.note(match, rendered: rendered, into: &self)
                } else if let masquerade = statement["masquerade"] {
                    let options = masquerade as? [String: Any] ?? [:]
                    nat = NAT(action: .masquerade, ports: NftExpression.ports(options))
                    allParts.append("masquerade" + NftExpression.natSuffix(options, address: nil))
                } else if let snat = statement["snat"] as? [String: Any] {
                    let address = snat["addr"].flatMap(NftExpression.render) ?? ""
                    nat = NAT(action: .snat(address: address), ports: NftExpression.ports(snat))
                    let family = (snat["family"] as? String).map { " \($0)" } ?? ""
                    allParts.append("snat\(family) to" + NftExpression.natSuffix(snat, address: address))
                } else if let jump = statement["jump"] as? [String: Any], let target = jump["target"] as? String {
                    self.jump = target
                    allParts.append("jump \(target)")
                } else if let goto = statement["goto"] as? [String: Any], let target = goto["target"] as? String {
                    self.jump = target
                    allParts.append("goto \(target)")
                } else if statement.keys.contains("return") || statement.keys.contains("accept") {
                    leaves = true
                    allParts.append(statement.keys.contains("return") ? "return" : "accept")
                } else if statement["counter"] != nil {
                    allParts.append("counter")
                } else if let key = statement.keys.first {
                    allParts.append(key == "xt" ? "xt \((statement["xt"] as? [String: Any])?["name"] as? String ?? "")" : key)
                }
            }
            matchText = renderable ? matchParts.joined(separator: " ") : nil
            text = allParts.joined(separator: " ")
        }
    }

    /// Whether a rule holds an iptables-nft `xt` target (MASQUERADE, SNAT...).
    static func hasXtTarget(_ rule: [String: Any]) -> Bool {
        let expressions = rule["expr"] as? [Any] ?? []
        return expressions.contains { item in
            guard let xt = (item as? [String: Any])?["xt"] as? [String: Any] else { return false }
            return (xt["type"] as? String) == "target"
        }
    }

    /// `meta l4proto tcp`, `ip protocol { tcp, udp }`, and matches on
    /// `tcp dport` (which imply the protocol). `alsoCondition` is true when
    /// the match says more than the protocol (a port).
    static func protocolMatch(_ match: [String: Any]) -> (match: ProtocolMatch, alsoCondition: Bool)? {
        guard let left = match["left"] as? [String: Any] else { return nil }
        let op = match["op"] as? String ?? "=="
        if let meta = left["meta"] as? [String: Any], meta["key"] as? String == "l4proto" {
            return (protocols(match["right"], negated: op == "!="), false)
        }
        if let payload = left["payload"] as? [String: Any], let field = payload["field"] as? String,
           let proto = payload["protocol"] as? String {
            if field == "protocol" && proto == "ip" || field == "nexthdr" && proto == "ip6" {
                return (protocols(match["right"], negated: op == "!="), false)
            }
            if let implied = ProtocolMatch.parseProtocol(proto), proto != "ip", proto != "ip6", proto != "th" {
                return (.only([implied]), true)
            }
        }
        return nil
    }

    private static func protocols(_ right: Any?, negated: Bool) -> ProtocolMatch {
        var names: [String] = []
        if let set = (right as? [String: Any])?["set"] as? [Any] {
            names = set.compactMap { ($0 as? String) ?? ($0 as? NSNumber)?.stringValue }
        } else if let name = right as? String {
            names = [name]
        } else if let number = right as? NSNumber {
            names = [number.stringValue]
        }
        let set = Set(names.compactMap(ProtocolMatch.parseProtocol))
        return negated ? .any(except: set) : .only(set)
    }

    static func note(_ match: [String: Any], rendered: String, into rule: inout RuleMatch) {
        let op = match["op"] as? String ?? "=="
        let bang = op == "!=" ? "! " : ""
        let right = match["right"].flatMap(render) ?? ""
        guard let left = match["left"] as? [String: Any] else { return }
        if let payload = left["payload"] as? [String: Any], let field = payload["field"] as? String {
            if field == "saddr" { rule.source = bang + right }
            if field == "daddr" { rule.destination = bang + right }
        } else if let meta = left["meta"] as? [String: Any], meta["key"] as? String == "oifname" {
            rule.outInterface = bang + right
        } else if rendered.contains("mark") {
            rule.mark = rendered
        }
    }

    static func renderMatch(_ match: [String: Any]) -> String? {
        guard let left = match["left"].flatMap(render), var right = match["right"].flatMap(render) else { return nil }
        let op = match["op"] as? String ?? "=="
        // Interface names are strings to nft; quoting keeps wildcards and odd names intact.
        if let name = match["right"] as? String, left.hasSuffix("ifname") { right = "\"\(name)\"" }
        switch op {
        case "==", "in": return "\(left) \(right)"
        default: return "\(left) \(op) \(right)"
        }
    }

    /// One expression in nft syntax, or nil when it has no known rendering.
    static func render(_ value: Any) -> String? {
        if let text = value as? String {
            return text.contains(where: { $0 == " " || $0 == "*" || $0 == "\"" }) || text.isEmpty ? "\"\(text)\"" : text
        }
        if let number = value as? NSNumber { return number.stringValue }
        if let list = value as? [Any] {
            let items = list.compactMap(render)
            return items.count == list.count ? items.joined(separator: " ") : nil
        }
        guard let object = value as? [String: Any], object.count == 1, let (key, body) = object.first else { return nil }
        switch key {
        case "prefix":
            guard let prefix = body as? [String: Any], let address = prefix["addr"].flatMap(render),
                  let length = prefix["len"].flatMap(render) else { return nil }
            return "\(address)/\(length)"
        case "range":
            guard let bounds = body as? [Any], bounds.count == 2, let low = render(bounds[0]), let high = render(bounds[1]) else { return nil }
            return "\(low)-\(high)"
        case "set":
            if let items = body as? [Any] {
                let rendered = items.compactMap(render)
                return rendered.count == items.count ? "{ " + rendered.joined(separator: ", ") + " }" : nil
            }
            return render(body).map { "{ \($0) }" }
        case "concat":
            guard let items = body as? [Any] else { return nil }
            let rendered = items.compactMap(render)
            return rendered.count == items.count ? rendered.joined(separator: " . ") : nil
        case "payload":
            guard let payload = body as? [String: Any] else { return nil }
            if let proto = payload["protocol"] as? String, let field = payload["field"] as? String { return "\(proto) \(field)" }
            if let base = payload["base"] as? String, let offset = payload["offset"].flatMap(render), let length = payload["len"].flatMap(render) {
                return "@\(base),\(offset),\(length)"
            }
            return nil
        case "meta":
            guard let meta = body as? [String: Any], let name = meta["key"] as? String else { return nil }
            return "meta \(name)"
        case "ct":
            guard let ct = body as? [String: Any], let name = ct["key"] as? String else { return nil }
            if let direction = ct["dir"] as? String { return "ct \(direction) \(name)" }
            return "ct \(name)"
        case "fib":
            guard let fib = body as? [String: Any], let result = fib["result"] as? String else { return nil }
            let flags = (fib["flags"] as? [String]) ?? [(fib["flags"] as? String)].compactMap { $0 }
            return "fib \(flags.joined(separator: " . ")) \(result)"
        case "&", "|", "^", "<<", ">>":
            guard let operands = body as? [Any], operands.count == 2,
                  let lhs = render(operands[0]), let rhs = render(operands[1]) else { return nil }
            return "\(lhs) \(key) \(rhs)"
        default:
            return nil
        }
    }

    static func ports(_ options: [String: Any]) -> PortBehaviour {
        var behaviour = PortBehaviour()
        if let port = options["port"] {
            if let bounds = (port as? [String: Any])?["range"] as? [Any], bounds.count == 2,
               let low = NftRulesetParser.int(bounds[0]), let high = NftRulesetParser.int(bounds[1]) {
                behaviour.range = PortRange(low: UInt16(clamping: min(low, high)), high: UInt16(clamping: max(low, high)))
            } else if let single = NftRulesetParser.int(port) {
                behaviour.range = PortRange(low: UInt16(clamping: single), high: UInt16(clamping: single))
            }
        }
        let flags = (options["flags"] as? [String]) ?? [(options["flags"] as? String)].compactMap { $0 }
        behaviour.random = flags.contains("random")
        behaviour.randomFully = flags.contains("fully-random")
        behaviour.persistent = flags.contains("persistent")
        return behaviour
    }

    /// ` to :A-B fully-random` for masquerade, ` ADDR:A-B` for snat.
    static func natSuffix(_ options: [String: Any], address: String?) -> String {
        let ports = ports(options)
        var text = ""
        if let address {
            text += " " + (ports.range != nil && address.contains(":") ? "[\(address)]" : address)
        } else if ports.range != nil {
            text += " to "
        }
        if let range = ports.range { text += range.low == range.high ? ":\(range.low)" : ":\(range.low)-\(range.high)" }
        let flags = (options["flags"] as? [String]) ?? [(options["flags"] as? String)].compactMap { $0 }
        if !flags.isEmpty { text += " " + flags.joined(separator: ",") }
        return text
    }
}
