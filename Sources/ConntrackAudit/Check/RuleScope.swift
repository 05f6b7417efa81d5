/// What the rules and jumps that led to a NAT rule already matched: the
/// packets it can see. Both rule readers (iptables-save, nft) walk chains
/// from POSTROUTING and narrow one of these at every rule.
struct RuleScope: Sendable {
    var conditions: [String] = []
    var protocols: ProtocolMatch = .all
    var source: String?
    var destination: String?
    var mark: String?
    var outInterface: String?

    /// This scope, then `guards` (earlier RETURN/ACCEPTs it got past), then
    /// one rule's own matches; the rule's addresses, mark and interface
    /// replace inherited ones.
    func narrowed(guards: [String], conditions: [String], protocols: ProtocolMatch, source: String?,
                  destination: String?, mark: String?, outInterface: String?) -> RuleScope {
        var here = self
        here.conditions += guards + conditions
        here.protocols = self.protocols.intersecting(protocols)
        here.source = source ?? self.source
        here.destination = destination ?? self.destination
        here.mark = mark ?? self.mark
        here.outInterface = outInterface ?? self.outInterface
        return here
    }
}
