import Conntrack
import Policy

/// Reads `nft -j list ruleset` and returns the masquerade/snat statements
/// that packets reach from every nat-type postrouting base chain, following
/// `jump`/`goto` into other chains of the same table.
public struct NftRulesetParser: Sendable {
    public var origin: String

    public init(origin: String) { self.origin = origin }

    public struct Result: Sendable {
        public var rules: [NATRule]
        /// "family name" of every table read.
        public var tables: [String]
        /// Tables written by iptables-nft (rules hold `xt` expressions that nft
        /// cannot show): their NAT options are only visible to iptables-nft-save.
        public var iptablesNftTables: [String]
        /// Those of them with a nat postrouting chain: NAT rules this file
        /// holds but cannot show (ports, --random-fully live in `xt` blobs).
        public var hiddenNATTables: [String] = []
    }

    struct Chain {
        var family: String
        var table: String
        var name: String
        var hook: String?
        var type: String?
        var priority: Int
        var rules: [[String: JSONDocument]] = []
    }

    public func parse(_ data: [UInt8]) throws(CheckInputError) -> Result {
        let root: JSONDocument
        do {
            root = try JSONDocument(parsing: data)
        } catch {
            let text = String(decoding: data.prefix(200), as: UTF8.self).trimmingSpaces
            if text.isEmpty { throw bad("empty; expected the output of 'nft -j list ruleset'") }
            throw bad("not valid JSON (truncated or not 'nft -j list ruleset' output): \(error)")
        }
        guard case .array(let items)? = root["nftables"] else {
            throw bad("JSON but not nft JSON: expected {\"nftables\": [...]} from 'nft -j list ruleset'")
        }
        var chains: [String: Chain] = [:]
        var order: [String] = []
        var tables: [String] = []
        for item in items {
            guard case .object(let item) = item else { throw bad("nftables array holds a non-object") }
            if let table = item["table"]?.objectValue {
                tables.append("\(table["family"]?.stringValue ?? "?") \(table["name"]?.stringValue ?? "?")")
            } else if let chain = item["chain"]?.objectValue {
                guard let family = chain["family"]?.stringValue, let table = chain["table"]?.stringValue,
                    let name = chain["name"]?.stringValue
                else { throw bad("chain without family, table or name") }
                let key = Self.key(family, table, name)
                chains[key] = Chain(
                    family: family, table: table, name: name, hook: chain["hook"]?.stringValue,
                    type: chain["type"]?.stringValue, priority: chain["prio"]?.intValue ?? 0)
                order.append(key)
            } else if let rule = item["rule"]?.objectValue {
                guard let family = rule["family"]?.stringValue, let table = rule["table"]?.stringValue,
                    let name = rule["chain"]?.stringValue
                else { throw bad("rule without family, table or chain") }
                let key = Self.key(family, table, name)
                if chains[key] == nil {
                    chains[key] = Chain(family: family, table: table, name: name, hook: nil, type: nil, priority: 0)
                    order.append(key)
                }
                chains[key]!.rules.append(rule)
            }
        }
        var xtTables: [String] = []
        for key in order {
            let chain = chains[key]!
            let tableName = "\(chain.family) \(chain.table)"
            if !xtTables.contains(tableName), chain.rules.contains(where: { NftExpression.hasXtTarget($0) }) {
                xtTables.append(tableName)
            }
        }
        var rules: [NATRule] = []
        let all: [Chain] = order.compactMap { chains[$0] }
        let hooked: [Chain] = all.filter { chain in chain.hook == "postrouting" && (chain.type ?? "nat") == "nat" }
        let bases: [Chain] = hooked.sorted { (a: Chain, b: Chain) -> Bool in a.priority < b.priority }
        for base in bases where !xtTables.contains("\(base.family) \(base.table)") {
            walk(base, chains: chains, path: [], inherited: RuleScope(), into: &rules)
        }
        let hidden = xtTables.filter { table in bases.contains { "\($0.family) \($0.table)" == table } }
        return Result(rules: rules, tables: tables, iptablesNftTables: xtTables, hiddenNATTables: hidden)
    }

    private func walk(
        _ chain: Chain, chains: [String: Chain], path: [String], inherited: RuleScope,
        into rules: inout [NATRule]
    ) {
        guard !path.contains(chain.name), path.count < 32 else { return }
        let path = path + [chain.name]
        // Rules after a conditional return/accept only see what it let pass.
        var guards: [String] = []
        for rule in chain.rules {
            let handle = rule["handle"]?.intValue ?? 0
            let expressions = rule["expr"]?.arrayValue ?? []
            let parsed = NftExpression.RuleMatch(expressions: expressions.compactMap(\.objectValue))
            let here = inherited.narrowed(guards: guards, by: parsed.scope)
            if let nat = parsed.nat {
                rules.append(
                    NATRule(
                        tool: .nft, family: RuleFamily(nft: chain.family), table: chain.table, chain: chain.name, chainPath: path,
                        position: handle, action: nat.action, protocols: here.protocols, conditions: here.conditions,
                        matchText: parsed.matchText ?? "", source: here.source, destination: here.destination,
                        mark: here.mark, outInterface: here.outInterface, comment: rule["comment"]?.stringValue,
                        ports: nat.ports, text: parsed.text, origin: origin
                    ))
            }
            if parsed.leaves {
                let atoms = parsed.scope.atoms { "meta l4proto \($0)" }
                if atoms.isEmpty { break }
                guards.append("not(" + atoms.joined(separator: " ") + ")")
            }
            if let jump = parsed.jump, let next = chains[Self.key(chain.family, chain.table, jump)] {
                walk(next, chains: chains, path: path, inherited: here, into: &rules)
            }
        }
    }

    static func key(_ family: String, _ table: String, _ chain: String) -> String { "\(family)\u{0}\(table)\u{0}\(chain)" }

    private func bad(_ reason: String) -> CheckInputError { CheckInputError(origin: origin, reason: reason) }
}
