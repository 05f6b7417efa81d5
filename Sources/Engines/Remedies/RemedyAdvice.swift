/// The fixes as every report presents them (audit's text and HTML, check,
/// the watch summary): which to print, how each is labelled, and the one
/// line that says what "applies here" refers to.
public struct RemedyAdvice: Sendable {
    public var remedies: [Remedy]
    /// What the node's source-NAT rules are written with, when read.
    public var ruleTools: String?

    public init(_ remedies: [Remedy], ruleTools: String?) {
        self.remedies = remedies
        self.ruleTools = ruleTools
    }

    /// Fixes for other setups (Calico on a node without it) are in JSON only.
    public var shown: [Remedy] { remedies.filter(\.isShown) }

    /// The line before the fixes, or nil when there is nothing to say.
    public var headline: String? {
        if remedies.contains(where: { $0.role == .generic }) {
            return "this node's source-NAT rules were not read, so which of these fits them is not known: none is marked"
        }
        // Only when the marked fix is a change to those rules (not the
        // firewall's, not a BPF dataplane's setting).
        guard remedies.contains(where: { $0.role == .appliesHere && ($0.kind == .pinNATRange || $0.kind == .calicoNATPortRange) })
        else { return nil }
        if let ruleTools {
            return "this node's source-NAT rules are written with \(ruleTools): the fix marked \"applies here\" is for them"
        }
        return nil
    }

    /// `fix (applies here):` or `fix:`.
    public static func label(_ remedy: Remedy) -> String {
        remedy.role == .appliesHere ? "fix (applies here):" : "fix:"
    }
}

extension NodeNATRules {
    /// What `findings` are written with (`iptables`, `nftables`, `Calico (Felix)`).
    public static func tools(_ findings: [RuleFinding]) -> String? {
        NodeNATRules(findings: findings).toolsDescription
    }
}
