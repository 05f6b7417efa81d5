import Policy

/// What a rule matches, or what the rules and jumps that led to a NAT rule
/// already matched: the packets it can see. Both rule readers
/// (iptables-save, nft) sort each rule's matches into one of these, walk
/// chains from POSTROUTING and narrow the inherited one at every rule.
struct RuleScope: Sendable {
    /// Match atoms other than the protocol and comments, e.g. `-s 10.42.0.0/16`,
    /// `! -d 224.0.0.0/4`, `-m mark --mark 0x4000/0x4000` (nft: its syntax).
    var conditions: [String] = []
    var protocols: ProtocolMatch = .all
    var source: String?
    var destination: String?
    var mark: String?
    var outInterface: String?

    /// This scope, then `guards` (earlier RETURN/ACCEPTs it got past), then
    /// `rule`, one rule's own matches; the rule's addresses, mark and
    /// interface replace inherited ones.
    func narrowed(guards: [String], by rule: RuleScope) -> RuleScope {
        var here = self
        here.conditions += guards + rule.conditions
        here.protocols = protocols.intersecting(rule.protocols)
        here.source = rule.source ?? source
        here.destination = rule.destination ?? destination
        here.mark = rule.mark ?? mark
        here.outInterface = rule.outInterface ?? outInterface
        return here
    }

    /// The conditions with the protocol match, `protocolMatch` spelling it
    /// (`-p tcp`, `meta l4proto tcp`): what a RETURN/ACCEPT rule takes away.
    func atoms(protocolMatch: (ProtocolMatch) -> String) -> [String] {
        conditions + (protocols == .all ? [] : [protocolMatch(protocols)])
    }
}
