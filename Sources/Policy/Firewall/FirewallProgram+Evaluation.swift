import Conntrack

/// Running the compiled chains on one packet.
///
/// The fast path walks the chains once, first match wins, as the kernel does.
/// A rule whose match is unknown stops it; the packet is then run both ways
/// at every unknown rule (`outcomes`, memoized per rule position so a file
/// full of them stays linear): the verdict is certain when every way ends
/// alike, and uncertain when one way accepts and another drops.
extension FirewallProgram {
    /// How a packet's fate was decided, as indices.
    struct Verdict: Sendable {
        enum Outcome: UInt8, Sendable { case accept, drop, uncertain }
        enum Kind: UInt8, Sendable { case rule, noMatch, entryWithoutPolicy }
        var outcome: Outcome
        var kind: Kind
        var chain: Int32
        /// The rule's index inside its chain (for `.rule`). For an uncertain
        /// verdict: the first rule on the way whose match is unknown.
        var rule: Int32
        /// A certain verdict reached through rules whose match is unknown:
        /// the first of them (chain, index in chain); -1 when none.
        var unknownChain: Int32 = -1
        var unknownRule: Int32 = -1
        /// Accepted, but a rate-limited rule on the way decided it and under
        /// load the packet would not be accepted: that rule; -1 when not.
        var rateLimitChain: Int32 = -1
        var rateLimitRule: Int32 = -1
    }

    /// Bits of an outcome set in the slow path.
    private static let acceptBit: UInt8 = 1, dropBit: UInt8 = 2, returnBit: UInt8 = 4, doneBit: UInt8 = 8, busyBit: UInt8 = 16

    /// What the fast path found.
    private enum Walk {
        case verdict(Verdict)
        /// A user chain ran off its end or returned.
        case returned
        /// A rule whose match is unknown: (chain, index in chain).
        case unknown(Int32, Int32)
    }

    /// The outcome of every stage filtering the packet's family, combined:
    /// a certain drop anywhere drops; otherwise an uncertain stage makes it
    /// uncertain. What classification needs, with no text built.
    func admission(_ packet: ReplyPacket) -> Verdict.Outcome {
        var result = Verdict.Outcome.accept
        let family = packet.family.rawValue
        for stage in stages.indices where stages[stage].family == 0 || stages[stage].family == family {
            switch decide(packet, stage: stage, describing: false).outcome {
            case .drop: return .drop
            case .uncertain: result = .uncertain
            case .accept: break
            }
        }
        return result
    }

    /// The verdict of one stage. `describing`: also find the rate-limited
    /// rule an accepted verdict depends on (a second run under load).
    func decide(_ packet: ReplyPacket, stage: Int = 0, describing: Bool = true) -> Verdict {
        let entry = Int(stages[stage].entry)
        let facts = self.facts[stage]
        var limit: (Int32, Int32)?
        var verdict = settle(entry, packet, facts: facts, underLoad: false, limit: &limit)
        if describing, verdict.outcome == .accept, let limit {
            var ignored: (Int32, Int32)?
            if settle(entry, packet, facts: facts, underLoad: true, limit: &ignored).outcome != .accept {
                verdict.rateLimitChain = limit.0
                verdict.rateLimitRule = limit.1
            }
        }
        return verdict
    }

    /// The fast path, then the slow one when an unknown match was met.
    private func settle(
        _ entry: Int, _ packet: ReplyPacket, facts: GatewayFacts, underLoad: Bool,
        limit: inout (Int32, Int32)?
    ) -> Verdict {
        switch walk(entry, packet, facts: facts, underLoad: underLoad, depth: 0, unknownAsNo: false, limit: &limit) {
        case .verdict(let verdict): return verdict
        case .returned: return Self.withoutPolicy(entry)
        case .unknown(let chain, let rule):
            var memo = [UInt8](repeating: 0, count: rules.count + chains.count)
            let bits = outcomes(entry, from: 0, packet, facts: facts, underLoad: underLoad, depth: 0, memo: &memo)
            // Running off a base chain without a policy accepts (as the fast path says).
            let accepts = bits & (Self.acceptBit | Self.returnBit) != 0
            let drops = bits & Self.dropBit != 0
            if accepts && drops {
                return Verdict(outcome: .uncertain, kind: .rule, chain: chain, rule: rule)
            }
            // Certain: name the rule on the way where every unknown match is taken as no match.
            var ignored: (Int32, Int32)?
            var verdict: Verdict
            switch walk(entry, packet, facts: facts, underLoad: underLoad, depth: 0, unknownAsNo: true, limit: &ignored) {
            case .verdict(let found): verdict = found
            case .returned, .unknown: verdict = Self.withoutPolicy(entry)
            }
            verdict.outcome = drops ? .drop : .accept
            verdict.unknownChain = chain
            verdict.unknownRule = rule
            return verdict
        }
    }

    private static func withoutPolicy(_ entry: Int) -> Verdict {
        Verdict(outcome: .accept, kind: .entryWithoutPolicy, chain: Int32(entry), rule: -1)
    }

    /// First match wins, as the kernel runs it. `unknownAsNo`: take an
    /// unknown match as no match instead of stopping.
    private func walk(
        _ chainIndex: Int, _ packet: ReplyPacket, facts: GatewayFacts, underLoad: Bool, depth: Int,
        unknownAsNo: Bool, limit: inout (Int32, Int32)?
    ) -> Walk {
        guard chainIndex >= 0, depth < Self.maximumDepth else { return .returned }
        let chain = chains[chainIndex]
        let fallOff: Walk =
            chain.noMatch < 0
            ? .returned
            : .verdict(Verdict(outcome: chain.noMatch == 1 ? .accept : .drop, kind: .noMatch, chain: Int32(chainIndex), rule: -1))
        var index = Int(chain.firstRule)
        let end = Int(chain.endRule)
        while index < end {
            defer { index += 1 }
            let position = Int32(index) - chain.firstRule
            let match = self.match(index, packet, facts: facts, underLoad: underLoad)
            if match == .no { continue }
            if match == .unknown {
                if unknownAsNo { continue }
                return .unknown(Int32(chainIndex), position)
            }
            let rule = rules[index]
            if rule.rateLimit != 0, limit == nil { limit = (Int32(chainIndex), position) }
            switch rule.action {
            case .accept:
                return .verdict(Verdict(outcome: .accept, kind: .rule, chain: Int32(chainIndex), rule: position))
            case .drop:
                return .verdict(Verdict(outcome: .drop, kind: .rule, chain: Int32(chainIndex), rule: position))
            case .jump:
                let inner = walk(
                    Int(rule.target), packet, facts: facts, underLoad: underLoad, depth: depth + 1,
                    unknownAsNo: unknownAsNo, limit: &limit)
                if case .returned = inner { continue }
                return inner
            case .goto:
                let inner = walk(
                    Int(rule.target), packet, facts: facts, underLoad: underLoad, depth: depth + 1,
                    unknownAsNo: unknownAsNo, limit: &limit)
                if case .returned = inner { return fallOff }
                return inner
            case .leave:
                return fallOff
            }
        }
        return fallOff
    }

    /// Every outcome the packet can have from rule `from` of a chain on,
    /// following both ways at each unknown match. Bits: accept, drop,
    /// return (a user chain ran off its end or returned).
    private func outcomes(
        _ chainIndex: Int, from start: Int, _ packet: ReplyPacket, facts: GatewayFacts, underLoad: Bool,
        depth: Int, memo: inout [UInt8]
    ) -> UInt8 {
        guard chainIndex >= 0, depth < Self.maximumDepth else { return Self.returnBit }
        let chain = chains[chainIndex]
        let slot = Int(chain.firstRule) + start + chainIndex
        if memo[slot] & Self.doneBit != 0 { return memo[slot] & 7 }
        // A chain that reaches itself again (only hand-made ones can) goes on as if the jump returned.
        if memo[slot] & Self.busyBit != 0 { return Self.returnBit }
        memo[slot] = Self.busyBit
        let fallOff: UInt8 = chain.noMatch < 0 ? Self.returnBit : chain.noMatch == 1 ? Self.acceptBit : Self.dropBit
        var result: UInt8
        let index = Int(chain.firstRule) + start
        if index >= Int(chain.endRule) {
            result = fallOff
        } else {
            let match = self.match(index, packet, facts: facts, underLoad: underLoad)
            func next(_ memo: inout [UInt8]) -> UInt8 {
                outcomes(chainIndex, from: start + 1, packet, facts: facts, underLoad: underLoad, depth: depth, memo: &memo)
            }
            if match == .no {
                result = next(&memo)
            } else {
                let rule = rules[index]
                var taken: UInt8
                switch rule.action {
                case .accept: taken = Self.acceptBit
                case .drop: taken = Self.dropBit
                case .leave: taken = fallOff
                case .jump, .goto:
                    let inner = outcomes(
                        Int(rule.target), from: 0, packet, facts: facts, underLoad: underLoad,
                        depth: depth + 1, memo: &memo)
                    taken = inner & ~Self.returnBit
                    if inner & Self.returnBit != 0 {
                        taken |= rule.action == .jump ? next(&memo) : fallOff
                    }
                }
                result = match == .unknown ? taken | next(&memo) : taken
            }
        }
        memo[slot] = result | Self.doneBit
        return result
    }
}
