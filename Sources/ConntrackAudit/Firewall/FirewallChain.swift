public import Conntrack

/// An ordered list of rules, first match wins, and what happens to a packet
/// that matches none of them.
public struct FirewallChain: Hashable, Sendable {
    public var name: String
    public var rules: [FirewallRule]
    /// For a base chain (or a whole vendor firewall): the verdict when no
    /// rule matched. nil for a user chain, which returns to its caller.
    public var noMatch: NoMatch?

    public struct NoMatch: Hashable, Sendable {
        public var accepts: Bool
        /// `no rule matches: discarded`, `chain FORWARD policy DROP`.
        public var label: String

        public init(accepts: Bool, label: String) {
            self.accepts = accepts
            self.label = label
        }
    }

    public init(name: String, rules: [FirewallRule], noMatch: NoMatch?) {
        self.name = name
        self.rules = rules
        self.noMatch = noMatch
    }
}

/// One place in the path that every reply must get through: a vendor
/// firewall, or one base chain of a Linux gateway. A reply dropped by any
/// stage is dropped.
public struct FirewallStage: Hashable, Sendable {
    /// The file the stage was read from.
    public var origin: String
    /// nil: the stage filters both families.
    public var family: IPAddress.Family?
    /// The chain packets enter.
    public var entry: String
    public var chains: [String: FirewallChain]

    public init(origin: String, family: IPAddress.Family?, entry: FirewallChain, others: [FirewallChain] = []) {
        self.origin = origin
        self.family = family
        self.entry = entry.name
        var chains: [String: FirewallChain] = [entry.name: entry]
        for chain in others where chains[chain.name] == nil { chains[chain.name] = chain }
        self.chains = chains
    }

    public func applies(to family: IPAddress.Family) -> Bool { self.family == nil || self.family == family }

    /// Which rule (or default) decided, without building any text: the hot
    /// path of an audit judges every flow, and only violations are described.
    public enum Decider: Hashable, Sendable {
        case rule(chain: String, index: Int, assumed: Bool)
        case noMatch(chain: String)
        case entryWithoutPolicy
    }

    /// The verdict for one packet: accepted or not, and the rule (or default) that decided.
    public func evaluate(_ packet: ReplyPacket) -> (accepts: Bool, decidedBy: String) {
        let verdict = decide(packet)
        return (verdict.accepts, describe(verdict.decider))
    }

    public func decide(_ packet: ReplyPacket) -> (accepts: Bool, decider: Decider) {
        if let verdict = run(chain: entry, packet: packet, depth: 0) { return verdict }
        return (true, .entryWithoutPolicy)
    }

    public func describe(_ decider: Decider) -> String {
        switch decider {
        case let .rule(chain, index, assumed):
            let rule = chains[chain]!.rules[index]
            return assumed ? rule.description + " [assumed to match: ctaudit cannot judge every condition]" : rule.description
        case .noMatch(let chain):
            return chains[chain]?.noMatch?.label ?? "chain \(chain): no rule matches"
        case .entryWithoutPolicy:
            // A base chain always has a noMatch; an entry without one accepts.
            return "chain \(entry): no rule matches (no policy given): accepted"
        }
    }

    private func run(chain name: String, packet: ReplyPacket, depth: Int) -> (accepts: Bool, decider: Decider)? {
        guard let chain = chains[name], depth < 32 else { return nil }
        let fallOff: (accepts: Bool, decider: Decider)? = chain.noMatch.map { ($0.accepts, .noMatch(chain: name)) }
        for (index, rule) in chain.rules.enumerated() {
            let match = rule.match(packet)
            if match == .no { continue }
            // A rule ctaudit cannot fully judge is taken at its worst: it
            // drops if it can drop and never accepts.
            let sure = match == .yes
            switch rule.action {
            case .accept:
                if sure { return (true, .rule(chain: name, index: index, assumed: false)) }
            case .drop:
                return (false, .rule(chain: name, index: index, assumed: !sure))
            case .jump(let target):
                if let verdict = run(chain: target, packet: packet, depth: depth + 1), sure || !verdict.accepts {
                    return verdict
                }
            case .goto(let target):
                if let verdict = run(chain: target, packet: packet, depth: depth + 1), sure || !verdict.accepts {
                    return verdict
                }
                if sure { return fallOff }
            case .leave:
                if sure { return fallOff }
            }
        }
        return fallOff
    }
}
