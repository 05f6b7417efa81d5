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

    /// The verdict for one packet: accepted or not, and the rule (or default) that decided.
    public func evaluate(_ packet: ReplyPacket) -> (accepts: Bool, decidedBy: String) {
        if let verdict = run(chain: entry, packet: packet, depth: 0) { return verdict }
        // A base chain always has a noMatch; an entry without one accepts.
        return (true, "chain \(entry): no rule matches (no policy given): accepted")
    }

    private func run(chain name: String, packet: ReplyPacket, depth: Int) -> (accepts: Bool, decidedBy: String)? {
        guard let chain = chains[name], depth < 32 else { return nil }
        for rule in chain.rules {
            let match = rule.match(packet)
            if match == .no { continue }
            // A rule ctaudit cannot fully judge is taken at its worst: it
            // drops if it can drop and never accepts.
            let sure = match == .yes
            switch rule.action {
            case .accept:
                if sure { return (true, rule.description) }
            case .drop:
                return (false, sure ? rule.description : rule.description + " [assumed to match: ctaudit cannot judge every condition]")
            case .jump(let target):
                if let verdict = run(chain: target, packet: packet, depth: depth + 1), sure || !verdict.accepts {
                    return verdict
                }
            case .goto(let target):
                if let verdict = run(chain: target, packet: packet, depth: depth + 1), sure || !verdict.accepts {
                    return verdict
                }
                if sure { return chain.noMatch.map { ($0.accepts, $0.label) } }
            case .leave:
                if sure { return chain.noMatch.map { ($0.accepts, $0.label) } }
            }
        }
        return chain.noMatch.map { ($0.accepts, $0.label) }
    }
}
