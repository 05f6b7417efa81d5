import Conntrack
import Policy

extension ReplyAdmissionTable {
    /// The widest range `proto`'s replies get through to in every one of
    /// `families`, for the peers the firewall admits them from: what a NAT
    /// rule pinning `proto` must stay in. nil: the firewall admits it on no
    /// common port. The one answer check's per-rule pins and the node's
    /// generic pins both use.
    func pinRange(_ proto: IPProtocol, families: [IPAddress.Family]) -> PortRange? {
        let everything = PortRangeSet(PortRange(low: 0, high: 65535)!)
        var common = everything
        for family in families {
            common = common.intersection(self[proto, family].judgedSets.reduce(everything) { $0.intersection($1.admitted) })
        }
        return common.widest
    }
}
