public import Conntrack
public import NodeState
public import Policy

/// The one remedy engine: audit, check, the watch summary and the HTML page
/// ask it for the fixes of one node, so the same node gets the same fix
/// whoever looks.
///
/// - The node's NAT rules read: the exact per-rule change (`Remedy.pin`, the
///   lines `check` has always printed), one fix for every rule pod traffic
///   reaches that can give a port outside the allowed ranges, in evaluation
///   order; on Calico, FelixConfiguration's natPortRange instead.
/// - Not read: the generic forms (the CTAUDIT-PIN chain, the nft statement,
///   Calico), none marked, with the reason.
/// - Then the pods' own port range where NAT keeps low pod ports, the BPF
///   dataplanes' settings, and the upstream firewall: widened in general
///   terms, or in its own (`--firewall`, `FirewallRemedy`).
///
/// Exactly one fix per cause is `.appliesHere` when one fits (the NAT change;
/// each dataplane's setting); the rest are alternatives, or `.otherSetup`
/// (JSON only).
public struct NodeRemedies: Sendable {
    /// The node's NAT rules as `RuleChecker` judged them, or why they are not known.
    public enum NATRules: Sendable {
        case read([RuleFinding])
        /// nil: not needed (nothing went through conntrack's NAT).
        case unread(reason: String?)
    }

    /// What the fixes pin to and widen from (with `--firewall`: the range
    /// good for TCP and UDP alike).
    public var allowed: PortRangeSet
    /// With `--firewall` admitting TCP and UDP differently: the range each
    /// protocol is pinned to (the generic forms); nil: `allowed` for all.
    public var perProtocol: [IPProtocol: PortRange]?
    /// With `--firewall`: TCP/UDP admitted on no port, in the firewall's
    /// words; no NAT range fixes those.
    public var closedProtocols: [IPProtocol] = []
    public var closedWords = ""
    public var natRules: NATRules
    /// Whether the node's NAT needs a fix at all: conntrack violations or
    /// pods blocked (audit, watch), rules that can give bad ports (check).
    public var natNeedsFix: Bool
    /// Why, as the command saw it ("masquerade remapped 10 flow(s) and kept
    /// 8 pod port(s) outside 32768-65535: "), or "" when the rules say it.
    public var cause = ""
    /// Pods whose own range is outside `allowed` and that NAT lets keep it.
    public var podSources: [PortSource] = []
    /// Kept-port violations of pods not in `podSources`.
    public var keptPortFlows = 0
    /// For the generic forms.
    public var podNetworks: [IPNetwork] = []
    public var violatingFamilies: Set<IPAddress.Family> = []
    public var seenProtocols: Set<IPProtocol> = []
    /// Translated ports seen or possible outside `allowed`: what widening must admit.
    public var portsOutside = PortRangeSet([])
    /// BPF dataplanes' fixes (`Remedy.dataplaneRemedies`), each for its own cause.
    public var dataplaneRemedies: [Remedy] = []
    /// The upstream firewall's fix in its own terms (`--firewall`); nil: the general one.
    public var upstream: [Remedy]?
    public var hints = ReaderHintWording.plain

    public init(allowed: PortRangeSet, natRules: NATRules, natNeedsFix: Bool) {
        self.allowed = allowed
        self.natRules = natNeedsFix ? natRules : .read([])
        self.natNeedsFix = natNeedsFix
    }

    /// Every fix, in the order reports print them.
    public var remedies: [Remedy] {
        var out: [Remedy] = []
        if natNeedsFix, closedProtocols.isEmpty, let pin = allowed.widest {
            out += natFixes(pin)
        } else if natNeedsFix {
            let why =
                closedProtocols.isEmpty
                ? "no port is allowed for every TCP/UDP reply"
                : "the firewall admits \(closedProtocols.map(\.name).joined(separator: " and ")) replies on no port (\(closedWords))"
            out.append(
                Remedy(
                    kind: .pinNATRange,
                    summary: "no NAT port range can fix this alone: \(why); change the upstream firewall (below)",
                    commands: []))
        }
        if natNeedsFix, let pods = Remedy.podPortRange(podSources, keptFlows: keptPortFlows, allowed: allowed) {
            out.append(pods)
        }
        out += dataplaneRemedies.map { remedy in
            var remedy = remedy
            remedy.role = .appliesHere
            return remedy
        }
        if let upstream, !upstream.isEmpty {
            // Every rule of the firewall that must change is one fix, as
            // every NAT rule that must change is one.
            out.append(
                Remedy(
                    kind: .widenFirewall,
                    summary: "or change the upstream firewall: " + upstream.map(\.summary).joined(separator: "; and "),
                    commands: upstream.flatMap(\.commands)))
        } else if !portsOutside.ranges.isEmpty {
            out.append(
                Remedy.widenFirewall(
                    allowed: allowed, to: allowed.union(portsOutside),
                    because: "the ports NAT and the pods use here"))
        }
        // One marked fix whenever one fits: the NAT change, else (nothing
        // to pin here) the first alternative. With the rules unread the
        // NAT change is one of the generic forms: none is marked.
        if !out.contains(where: { $0.role == .appliesHere || $0.role == .generic }),
            let first = out.firstIndex(where: { $0.role == .alternative && ($0.kind != .pinNATRange || !$0.commands.isEmpty) })
        {
            out[first].role = .appliesHere
            out[first].summary = Self.droppingLeadingOr(out[first].summary)
        }
        return out
    }

    /// The NAT side: the node's own rules pinned, or the generic forms.
    private func natFixes(_ pin: PortRange) -> [Remedy] {
        switch natRules {
        case .read(let findings):
            let needing = findings.filter { $0.inScope && $0.verdict != .safe }
            let calico = needing.filter { $0.rule.controller == "calico" }
            let own = needing.filter { $0.rule.controller != "calico" }
            var out: [Remedy] = []
            if !calico.isEmpty {
                var felix = Remedy.calico(range: pin)
                felix.summary = cause + felix.summary
                felix.role = .appliesHere
                out.append(felix)
            }
            if let rules = pinRules(own, range: pin, calicoFirst: !calico.isEmpty) { out.append(rules) }
            if calico.isEmpty { out.append(Remedy.calicoOnAuditedNode(range: pin, role: .otherSetup)) }
            if needing.isEmpty {
                // Rules were read and none explains what was seen (a rule
                // the readers do not know): the generic forms, unmarked.
                out += generic(pin, cause: cause + "no source-NAT rule read on this node explains this; ")
            }
            return out
        case .unread(let reason):
            let why = reason.map { "the node's NAT rules could not be read (\($0)): " } ?? ""
            return generic(pin, cause: cause + why)
        }
    }

    private func generic(_ pin: PortRange, cause: String) -> [Remedy] {
        let facts = GenericPinFacts(podNetworks: podNetworks, violatingFamilies: violatingFamilies, seenProtocols: seenProtocols)
        return [
            Remedy.pinWithIptables(facts, range: pin, cause: cause, hints: hints, ranges: perProtocol),
            Remedy.pinWithNft(facts, range: pin, ranges: perProtocol),
            Remedy.calicoOnAuditedNode(range: pin, role: .generic),
        ]
    }

    /// Every rule's pin (`Remedy.pin`, with the rule numbers earlier fixes
    /// shift) in one fix, in evaluation order.
    private func pinRules(_ findings: [RuleFinding], range: PortRange, calicoFirst: Bool) -> Remedy? {
        let pins = findings.compactMap { finding in
            finding.remedies.first { $0.kind == .pinNATRange }.map { (finding.rule.location, $0) }
        }
        guard !pins.isEmpty else { return nil }
        // Rules that take the same change are named together: "iptables nat
        // POSTROUTING #1, ip6tables nat POSTROUTING #1: insert ... before it".
        var order: [String] = []
        var rulesBy: [String: [String]] = [:]
        for (location, pin) in pins {
            let change = pin.summary.replacing(" of \(location) ", with: " ")
                .replacing("replace \(location) with", with: "replace it with")
            if rulesBy[change] == nil { order.append(change) }
            rulesBy[change, default: []].append(location)
        }
        let ports = "\(range.low)-\(range.high)"
        let what = pins.count == 1 ? "the source-NAT rule pod traffic reaches" : "the \(pins.count) source-NAT rules pod traffic reaches"
        let changes = order.map { change in
            let rules = rulesBy[change]!
            let text =
                rules.count == 1
                ? change
                : change.replacing(" before it", with: " before each").replacing("replace it with", with: "replace each with")
            return rules.joined(separator: ", ") + ": " + text
        }
        let summary = (calicoFirst ? "or " : cause) + "pin the NAT port range to \(ports) in \(what); " + changes.joined(separator: "; ")
        return Remedy(
            kind: .pinNATRange, summary: summary, commands: pins.flatMap(\.1.commands),
            role: calicoFirst ? .alternative : .appliesHere)
    }

    /// With `--firewall`: pin to what the firewall admits for each protocol.
    mutating func pinning(to table: ReplyAdmissionTable, nodes: [IPAddress], firewall: FirewallPolicy) {
        let ranges = FirewallRemedy.natRanges(table)
        perProtocol = ranges.perProtocol
        closedProtocols = ranges.closed
        closedWords = firewall.admittedSummary(nodes: nodes).joined(separator: "; ")
    }

    /// "or widen …" reads wrong for the only fix there is.
    static func droppingLeadingOr(_ text: String) -> String {
        if text.hasPrefix("or, ") { return String(text.dropFirst(4)) }
        if text.hasPrefix("or ") { return String(text.dropFirst(3)) }
        return text
    }
}
