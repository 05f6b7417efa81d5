import Conntrack
import Policy

/// How OCI admits a reply to a connection the node opened, as a firewall
/// program. The node's packet went out through the egress rules: if it
/// matched a stateful egress rule and no stateless one (OCI gives a
/// stateless rule precedence over a stateful one covering the same
/// traffic), the connection is tracked and its replies are admitted
/// whatever their ports. Otherwise the reply itself must match an ingress
/// rule by that rule's fields, stateful or stateless alike.
///
/// Entry chain `replies`: the reply of each stateless egress rule's traffic
/// goes to `ingress` (untracked), the reply of each stateful egress rule's
/// traffic is accepted (tracked), anything else goes to `ingress`. Chain
/// `ingress`: every ingress rule, and no match drops.
struct OCIReplyProgram {
    static let entry = "replies"
    static let ingressChain = "ingress"

    var ingress: [FirewallRule] = []
    /// Reply matches of stateless egress rules (action: goto `ingress`).
    var statelessEgress: [FirewallRule] = []
    /// Reply matches of stateful egress rules (action: accept).
    var statefulEgress: [FirewallRule] = []

    init(ingress: [FirewallRule] = [], statelessEgress: [FirewallRule] = [], statefulEgress: [FirewallRule] = []) {
        self.ingress = ingress
        self.statelessEgress = statelessEgress
        self.statefulEgress = statefulEgress
    }

    /// Takes apart a stage `stage(origin:)` built; nil for any other stage.
    init?(stage: FirewallStage) {
        guard stage.entry == Self.entry, let entry = stage.chains[Self.entry], let ingress = stage.chains[Self.ingressChain],
            entry.rules.last?.action == .goto(Self.ingressChain)
        else { return nil }
        self.ingress = ingress.rules
        for rule in entry.rules.dropLast() {
            if rule.action == .accept { statefulEgress.append(rule) } else { statelessEgress.append(rule) }
        }
    }

    static func += (lhs: inout OCIReplyProgram, rhs: OCIReplyProgram) {
        lhs.ingress += rhs.ingress
        lhs.statelessEgress += rhs.statelessEgress
        lhs.statefulEgress += rhs.statefulEgress
    }

    func stage(origin: String) -> FirewallStage {
        var rest = FirewallRule(
            label: "not tracked by a stateful egress rule: judged by the ingress rules", action: .goto(Self.ingressChain))
        rest.label =
            statelessEgress.isEmpty && statefulEgress.isEmpty
            ? "no egress rules in the file: judged by the ingress rules" : rest.label
        let entry = FirewallChain(
            name: Self.entry, rules: statelessEgress + statefulEgress + [rest],
            noMatch: .init(accepts: false, label: "no ingress rule allows it: dropped"))
        let ingressChain = FirewallChain(
            name: Self.ingressChain, rules: ingress,
            noMatch: .init(accepts: false, label: "no ingress rule allows it: dropped"))
        return FirewallStage(origin: origin, family: nil, entry: entry, others: [ingressChain])
    }

    /// The match of the replies to what an egress rule lets out: its
    /// protocol, the remote in its destination, the remote port in its
    /// destination ports, the node's port in its source ports.
    static func replyMatch(of egress: FirewallRule, stateless: Bool) -> FirewallRule {
        var rule = egress
        rule.label +=
            stateless
            ? " (stateless): its replies are not tracked, only ingress rules admit them"
            : " (stateful): replies of connections it lets out are tracked"
        rule.action = stateless ? .goto(ingressChain) : .accept
        return rule
    }
}
