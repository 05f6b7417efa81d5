import Conntrack

/// Firewall stages compiled once, at load, into flat arrays of plain values:
/// chains and jump targets are indices, port ranges, networks and TCP flag
/// terms live in shared arrays addressed by start/end, and nothing in the hot
/// loop is a String, a Set, an optional array or a reference. An audit judges
/// every source-NATed flow (twice for TCP), so this is what `--firewall` costs
/// per flow; the rules' text is only read back (by index) for violations.
///
/// A rule's match is three-valued. Conditions that depend only on the file
/// and the stage (tracking state, address type, marks, loopback, modules
/// ctaudit cannot judge) are folded into one `fixed` value at compile time;
/// the few that depend on the packet (ct status assured, ICMP types) are kept
/// and evaluated per packet. When a packet meets a rule whose match is
/// unknown, both ways are followed (FirewallProgram+Evaluation): the verdict
/// is certain when they agree and *uncertain* when they do not.
///
/// Verdicts are exactly those of the rules' own `FirewallRule.match` run chain
/// by chain (FirewallProgramTests checks that on every fixture).
struct FirewallProgram: Sendable {
    struct Stage: Sendable {
        /// `IPAddress.Family.rawValue`, 0 for both families.
        var family: UInt8
        /// Index into `chains`, -1 when the entry chain does not exist.
        var entry: Int32
    }

    struct Chain: Sendable {
        var firstRule: Int32
        var endRule: Int32
        /// -1: a user chain (returns to its caller); 0: drops; 1: accepts.
        var noMatch: Int8
    }

    /// A contiguous slice of one of the shared arrays; `start == -1`: the rule
    /// has no such condition.
    struct Span: Sendable {
        var start: Int32
        var end: Int32
        static let none = Span(start: -1, end: -1)
        var isPresent: Bool { start >= 0 }
    }

    enum Action: UInt8, Sendable { case accept, drop, jump, goto, leave }

    /// The part of a rule's match known without the packet.
    enum Fixed: UInt8, Sendable { case yes, never, unknown }

    struct Rule: Sendable {
        /// 0: any family.
        var family: UInt8
        /// Bit n of the 256-bit map set: protocol n matches (negation applied).
        var protocols: (UInt64, UInt64, UInt64, UInt64)
        /// Port or flag conditions present: only port-carrying protocols match.
        var needsPorts: Bool
        var fixed: Fixed
        /// 0: no rate limit; 1: matches under the rate; 2: matches only over it.
        var rateLimit: UInt8
        var remoteNegated: Bool
        var localNegated: Bool
        var localPorts: Span
        var remotePorts: Span
        var eitherPorts: Span
        /// Into `alternatives`; each alternative is a Span into `flagTerms`.
        var tcpFlags: Span
        var remoteNetworks: Span
        var localNetworks: Span
        /// Into `packetConditions`: conditions whose value depends on the packet.
        var packetConditions: Span
        var action: Action
        /// Chain index for jump/goto; -1 when the chain does not exist.
        var target: Int32
    }

    struct FlagTerm: Sendable {
        var flag: UInt8
        var negated: Bool
    }

    private(set) var stages: [Stage] = []
    private(set) var chains: [Chain] = []
    /// Chain names, by chain index: only read to describe a verdict.
    private(set) var chainNames: [String] = []
    private(set) var rules: [Rule] = []
    private var portRanges: [PortRange] = []
    private var networks: [IPNetwork] = []
    private var alternatives: [Span] = []
    private var flagTerms: [FlagTerm] = []
    private var conditions: [ReplyCondition] = []
    /// Per stage: the gateway facts its conditions are evaluated with.
    private(set) var facts: [GatewayFacts] = []

    static let maximumDepth = 32

    init(stages source: [FirewallStage]) {
        for stage in source {
            // Entry first, then the other chains by name: the same stage always
            // compiles to the same program.
            let names = [stage.entry] + stage.chains.keys.filter { $0 != stage.entry }.sorted()
            let base = Int32(chains.count)
            var index: [String: Int32] = [:]
            for (offset, name) in names.enumerated() where stage.chains[name] != nil {
                index[name] = base + Int32(offset)
            }
            stages.append(Stage(family: stage.family?.rawValue ?? 0, entry: index[stage.entry] ?? -1))
            facts.append(stage.facts)
            for name in names {
                guard let chain = stage.chains[name] else { continue }
                let first = Int32(rules.count)
                for rule in chain.rules { rules.append(compile(rule, chainIndex: index, facts: stage.facts)) }
                let noMatch: Int8 = chain.noMatch.map { $0.accepts ? 1 : 0 } ?? -1
                chains.append(Chain(firstRule: first, endRule: Int32(rules.count), noMatch: noMatch))
                chainNames.append(name)
            }
        }
    }

    private mutating func compile(_ rule: FirewallRule, chainIndex: [String: Int32], facts: GatewayFacts) -> Rule {
        var protocols: (UInt64, UInt64, UInt64, UInt64) = (.max, .max, .max, .max)
        if let set = rule.protocols {
            var words: [UInt64] = [0, 0, 0, 0]
            for proto in set { words[Int(proto.rawValue) >> 6] |= 1 << UInt64(proto.rawValue & 63) }
            if rule.protocolsNegated { words = words.map { ~$0 } }
            protocols = (words[0], words[1], words[2], words[3])
        }
        let action: Action
        var target: Int32 = -1
        switch rule.action {
        case .accept: action = .accept
        case .drop: action = .drop
        case .jump(let name):
            action = .jump
            target = chainIndex[name] ?? -1
        case .goto(let name):
            action = .goto
            target = chainIndex[name] ?? -1
        case .leave: action = .leave
        }
        // The file-level part of the match, folded into one value.
        let anyPacket = ReplyPacket(family: .ipv4, proto: .tcp, remote: nil, remotePort: nil, local: nil, localPort: 0)
        var fixed: FirewallRule.Match = rule.unevaluated.isEmpty ? .yes : .unknown
        if rule.interfaces.contains(where: FirewallRule.isLoopback) { fixed = .no }
        if let states = rule.connectionStates {
            fixed = fixed.and(
                ReplyCondition.connectionState(states, negated: rule.connectionStatesNegated).evaluate(anyPacket, facts: facts))
        }
        var perPacket: [ReplyCondition] = []
        for condition in rule.conditions {
            if condition.dependsOnPacket {
                perPacket.append(condition)
            } else {
                fixed = fixed.and(condition.evaluate(anyPacket, facts: facts))
            }
        }
        return Rule(
            family: rule.family?.rawValue ?? 0,
            protocols: protocols,
            needsPorts: rule.localPorts != nil || rule.remotePorts != nil || rule.eitherPorts != nil || rule.tcpFlags != nil,
            fixed: fixed == .no ? .never : fixed == .unknown ? .unknown : .yes,
            rateLimit: rule.rateLimit.map { $0.over ? 2 : 1 } ?? 0,
            remoteNegated: rule.remoteNegated,
            localNegated: rule.localNegated,
            localPorts: Self.span(of: rule.localPorts.map(\.ranges), in: &portRanges),
            remotePorts: Self.span(of: rule.remotePorts.map(\.ranges), in: &portRanges),
            eitherPorts: Self.span(of: rule.eitherPorts.map(\.ranges), in: &portRanges),
            tcpFlags: compile(rule.tcpFlags),
            remoteNetworks: Self.span(of: rule.remoteNetworks, in: &networks),
            localNetworks: Self.span(of: rule.localNetworks, in: &networks),
            packetConditions: Self.span(of: perPacket.isEmpty ? nil : perPacket, in: &conditions),
            action: action,
            target: target)
    }

    private mutating func compile(_ match: TCPFlagMatch?) -> Span {
        guard let match else { return .none }
        var spans: [Span] = []
        for terms in match.alternatives {
            spans.append(Self.span(of: terms.map { FlagTerm(flag: $0.flag.rawValue, negated: $0.negated) }, in: &flagTerms))
        }
        return Self.span(of: spans, in: &alternatives)
    }

    private static func span<Element>(of elements: [Element]?, in storage: inout [Element]) -> Span {
        guard let elements else { return .none }
        let start = Int32(storage.count)
        storage.append(contentsOf: elements)
        return Span(start: start, end: Int32(storage.count))
    }

    // MARK: - Matching one rule

    /// `FirewallRule.match`, on the compiled rule. `facts`: the stage's.
    func match(_ index: Int, _ packet: ReplyPacket, facts: GatewayFacts, underLoad: Bool) -> FirewallRule.Match {
        let rule = rules[index]
        if rule.fixed == .never { return .no }
        if rule.family != 0, rule.family != packet.family.rawValue { return .no }
        let proto = packet.proto.rawValue
        let word: UInt64 =
            switch proto >> 6 {
            case 0: rule.protocols.0
            case 1: rule.protocols.1
            case 2: rule.protocols.2
            default: rule.protocols.3
            }
        if word & (1 << UInt64(proto & 63)) == 0 { return .no }
        if rule.needsPorts, !packet.proto.carriesPorts { return .no }
        if rule.localPorts.isPresent, !contains(rule.localPorts, packet.localPort) { return .no }
        if rule.tcpFlags.isPresent {
            guard packet.proto == .tcp, matches(rule.tcpFlags, packet.tcpFlags.rawValue) else { return .no }
        }
        var result: FirewallRule.Match = rule.fixed == .unknown ? .unknown : .yes
        if rule.packetConditions.isPresent {
            var index = Int(rule.packetConditions.start)
            while index < Int(rule.packetConditions.end) {
                result = result.and(conditions[index].evaluate(packet, facts: facts))
                if result == .no { return .no }
                index += 1
            }
        }
        if rule.rateLimit != 0, (rule.rateLimit == 2) != underLoad { return .no }
        if rule.eitherPorts.isPresent, !contains(rule.eitherPorts, packet.localPort) {
            if let port = packet.remotePort { if !contains(rule.eitherPorts, port) { return .no } } else { result = result.and(.unknown) }
        }
        if rule.remotePorts.isPresent {
            if let port = packet.remotePort { if !contains(rule.remotePorts, port) { return .no } } else { result = result.and(.unknown) }
        }
        if rule.remoteNetworks.isPresent {
            if let remote = packet.remote {
                if contains(rule.remoteNetworks, remote) == rule.remoteNegated { return .no }
            } else {
                result = result.and(.unknown)
            }
        }
        if rule.localNetworks.isPresent {
            if let local = packet.local {
                if contains(rule.localNetworks, local) == rule.localNegated { return .no }
            } else {
                result = result.and(.unknown)
            }
        }
        return result
    }

    private func contains(_ span: Span, _ port: UInt16) -> Bool {
        var index = Int(span.start)
        while index < Int(span.end) {
            let range = portRanges[index]
            if range.low <= port, port <= range.high { return true }
            index += 1
        }
        return false
    }

    private func contains(_ span: Span, _ address: IPAddress) -> Bool {
        var index = Int(span.start)
        while index < Int(span.end) {
            if networks[index].contains(address) { return true }
            index += 1
        }
        return false
    }

    private func matches(_ span: Span, _ flags: UInt8) -> Bool {
        var alternative = Int(span.start)
        while alternative < Int(span.end) {
            let terms = alternatives[alternative]
            var all = true
            var term = Int(terms.start)
            while term < Int(terms.end) {
                let condition = flagTerms[term]
                if (flags & condition.flag == condition.flag) == condition.negated {
                    all = false
                    break
                }
                term += 1
            }
            if all { return true }
            alternative += 1
        }
        return false
    }
}
