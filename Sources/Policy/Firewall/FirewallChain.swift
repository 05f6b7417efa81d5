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
    /// What the file says about the gateway (marks, NAT, untracked traffic)
    /// and whether this stage delivers replies to the host itself.
    public var facts: GatewayFacts { didSet { compile() } }
    /// The chains compiled for judging packets, kept in step with them.
    private(set) var program = FirewallProgram(stages: [])

    public init(
        origin: String, family: IPAddress.Family?, entry: FirewallChain, others: [FirewallChain] = [],
        facts: GatewayFacts = GatewayFacts()
    ) {
        self.origin = origin
        self.family = family
        self.entry = entry.name
        var chains: [String: FirewallChain] = [entry.name: entry]
        for chain in others where chains[chain.name] == nil { chains[chain.name] = chain }
        self.chains = chains
        self.facts = facts
        compile()
    }

    private mutating func compile() { program = FirewallProgram(stages: [self]) }

    public static func == (lhs: FirewallStage, rhs: FirewallStage) -> Bool {
        lhs.origin == rhs.origin && lhs.family == rhs.family && lhs.entry == rhs.entry && lhs.chains == rhs.chains
            && lhs.facts == rhs.facts
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(origin)
        hasher.combine(family)
        hasher.combine(entry)
        hasher.combine(chains)
        hasher.combine(facts)
    }

    public func applies(to family: IPAddress.Family) -> Bool { self.family == nil || self.family == family }

    /// Which rule (or default) decided, without building any text: the hot
    /// path of an audit judges every flow, and only violations are described.
    public enum Decider: Hashable, Sendable {
        case rule(chain: String, index: Int)
        case noMatch(chain: String)
        case entryWithoutPolicy
    }

    /// A packet's fate in this stage.
    public struct Verdict: Hashable, Sendable {
        public var outcome: ReplyOutcome
        /// The rule (or default) that decided; for an uncertain verdict, the
        /// first rule on the way whose match ctaudit cannot judge.
        public var decider: Decider
        /// A certain verdict reached past rules ctaudit cannot judge (it holds
        /// whether or not they match): the first of them.
        public var pastUnknown: Decider?
        /// Accepted while traffic stays under this rule's rate limit: under
        /// load the reply would not be accepted.
        public var rateLimitedBy: Decider?

        public var accepts: Bool { outcome == .accepted }
    }

    /// The verdict for one packet: accepted or not, and the rule (or default) that decided.
    public func evaluate(_ packet: ReplyPacket) -> (outcome: ReplyOutcome, decidedBy: String) {
        let verdict = decide(packet)
        return (verdict.outcome, describe(verdict))
    }

    public func decide(_ packet: ReplyPacket) -> Verdict {
        let found = program.decide(packet)
        func rule(_ chain: Int32, _ index: Int32) -> Decider? {
            chain < 0 ? nil : .rule(chain: program.chainNames[Int(chain)], index: Int(index))
        }
        let decider: Decider =
            switch found.kind {
            case .rule: .rule(chain: program.chainNames[Int(found.chain)], index: Int(found.rule))
            case .noMatch: .noMatch(chain: program.chainNames[Int(found.chain)])
            case .entryWithoutPolicy: .entryWithoutPolicy
            }
        let outcome: ReplyOutcome =
            switch found.outcome {
            case .accept: .accepted
            case .drop: .dropped
            case .uncertain: .uncertain
            }
        return Verdict(
            outcome: outcome, decider: decider, pastUnknown: rule(found.unknownChain, found.unknownRule),
            rateLimitedBy: rule(found.rateLimitChain, found.rateLimitRule))
    }

    /// How a verdict reads: the deciding rule, what ctaudit could not judge
    /// on the way, and a rate limit it depends on.
    public func describe(_ verdict: Verdict) -> String {
        var text = describe(verdict.decider)
        if verdict.outcome == .uncertain, case let .rule(chain, index) = verdict.decider {
            let rule = chains[chain]!.rules[index]
            text +=
                " [uncertain: ctaudit cannot judge " + rule.unjudgedParts(facts: facts).joined(separator: " ")
                + "; the reply is accepted one way and dropped the other]"
        }
        if let past = verdict.pastUnknown, case let .rule(chain, index) = past {
            let rule = chains[chain]!.rules[index]
            text +=
                " [whether or not \(rule.label) matches (ctaudit cannot judge \(rule.unjudgedParts(facts: facts).joined(separator: " ")))]"
        }
        if let limited = verdict.rateLimitedBy, case let .rule(chain, index) = limited {
            let rule = chains[chain]!.rules[index]
            text += " [may drop under load: \(rule.label) is rate-limited (\(rule.rateLimit?.text ?? "limit")), not a drop rule]"
        }
        return text
    }

    public func describe(_ decider: Decider) -> String {
        switch decider {
        case let .rule(chain, index):
            return chains[chain]!.rules[index].description
        case .noMatch(let chain):
            return chains[chain]?.noMatch?.label ?? "chain \(chain): no rule matches"
        case .entryWithoutPolicy:
            // A base chain always has a noMatch; an entry without one accepts.
            return "chain \(entry): no rule matches (no policy given): accepted"
        }
    }
}

/// What happens to a reply packet (or to a flow's replies).
public enum ReplyOutcome: String, Hashable, Sendable {
    case accepted
    case dropped
    /// A rule ctaudit cannot judge decides: accepted one way, dropped the other.
    case uncertain
}
