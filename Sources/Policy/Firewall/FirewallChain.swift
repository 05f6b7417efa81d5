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
    public var family: IPAddress.Family? { didSet { compile() } }
    /// The chain packets enter.
    public var entry: String { didSet { compile() } }
    public var chains: [String: FirewallChain] { didSet { compile() } }
    /// The chains compiled for judging packets, kept in step with them.
    private(set) var program = FirewallProgram(stages: [])

    public init(origin: String, family: IPAddress.Family?, entry: FirewallChain, others: [FirewallChain] = []) {
        self.origin = origin
        self.family = family
        self.entry = entry.name
        var chains: [String: FirewallChain] = [entry.name: entry]
        for chain in others where chains[chain.name] == nil { chains[chain.name] = chain }
        self.chains = chains
        compile()
    }

    private mutating func compile() { program = FirewallProgram(stages: [self]) }

    public static func == (lhs: FirewallStage, rhs: FirewallStage) -> Bool {
        lhs.origin == rhs.origin && lhs.family == rhs.family && lhs.entry == rhs.entry && lhs.chains == rhs.chains
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(origin)
        hasher.combine(family)
        hasher.combine(entry)
        hasher.combine(chains)
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
        guard let verdict = program.decide(packet) else { return (true, .entryWithoutPolicy) }
        let chain = program.chainNames[Int(verdict.chain)]
        switch verdict.kind {
        case .rule: return (verdict.accepts, .rule(chain: chain, index: Int(verdict.rule), assumed: verdict.assumed))
        case .noMatch: return (verdict.accepts, .noMatch(chain: chain))
        }
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
}
