public import Conntrack
import Policy

/// Which sources' traffic can reach a NAT rule: its own source match and
/// those of the jumps and guards that lead to its chain (`conditions`
/// holds them all). The CNI bridge plugin writes one chain per pod, reached
/// by `-s POD/32`; judging such a rule by every pod's port range called
/// every pod's chain broken for one pod's low range.
extension NATRule {
    /// Whether traffic from `address` can reach this rule. A source match
    /// that cannot be read (an nft map, a range of sets) counts as a match:
    /// a rule is never skipped for a pod it may see.
    public func admitsSource(_ address: IPAddress) -> Bool {
        switch family {
        case .ipv4 where address.family != .ipv4, .ipv6 where address.family != .ipv6: return false
        default: break
        }
        for atom in conditions {
            if let guarded = Self.guardedSource(atom) {
                // A RETURN/ACCEPT for exactly these sources took their traffic away.
                if guarded.contains(address) == true { return false }
                continue
            }
            guard let match = Self.sourceMatch(atom) else { continue }
            guard let contains = match.networks.contains(address) else { continue }
            if contains == match.negated { return false }
        }
        return true
    }

    /// `-s 10.0.0.0/8`, `! -s ...`, `--source ...`, nft `ip saddr X`, `ip6 saddr != X`,
    /// `ip saddr { A, B }`: the networks and whether the match is negated.
    static func sourceMatch(_ atom: String) -> (networks: SourceNetworks, negated: Bool)? {
        var text = Substring(atom)
        var negated = false
        if text.hasPrefix("! ") {
            negated = true
            text = text.dropFirst(2)
        }
        for option in ["-s ", "--source "] where text.hasPrefix(option) {
            return (SourceNetworks(String(text.dropFirst(option.count))), negated)
        }
        for field in ["ip saddr ", "ip6 saddr "] where text.hasPrefix(field) {
            var value = text.dropFirst(field.count)
            for op in ["!= ", "== "] where value.hasPrefix(op) {
                negated = negated != (op == "!= ")
                value = value.dropFirst(op.count)
            }
            return (SourceNetworks(String(value)), negated)
        }
        return nil
    }

    /// A guard `not(-s X)` / `not(ip saddr X)` with nothing else in it: the
    /// sources a RETURN/ACCEPT before this rule took away. With other
    /// matches beside the source (`not(-s X -d Y)`) some of X's traffic
    /// still gets through, so it excludes nothing.
    static func guardedSource(_ atom: String) -> SourceNetworks? {
        guard atom.hasPrefix("not("), atom.hasSuffix(")") else { return nil }
        // The value must parse whole: `not(-s X -p tcp)` leaves a word over and excludes nothing.
        guard let match = sourceMatch(String(atom.dropFirst(4).dropLast())), !match.negated,
            match.networks.networks != nil
        else { return nil }
        return match.networks
    }
}

extension NATRule {
    /// The CNI portmap plugin's `CNI-HOSTPORT-MASQ` rule: it masquerades
    /// only packets marked in `CNI-HOSTPORT-SETMARK`, which its hostPort DNAT
    /// chains jump to for traffic from the pod network or localhost to a
    /// hostPort, DNATed to a pod on this node: hairpin, never egress.
    public var isHostPortHairpin: Bool {
        chainPath.contains("CNI-HOSTPORT-MASQ") && mark != nil
    }
}
