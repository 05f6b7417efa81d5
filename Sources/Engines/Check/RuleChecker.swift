import Conntrack
public import NodeState
public import Policy

/// Judges NAT rules against the allowed ports and the pods' source ports.
public struct RuleChecker: Sendable {
    public var allowed: PortRangeSet
    /// The firewall's answers per protocol and family, for the node's
    /// address (`--firewall`); nil: `allowed` for every protocol and peer.
    public var admissions: ReplyAdmissionTable?
    /// Rules whose source cannot be in these are out of scope; empty: all rules count.
    public var podNetworks: [IPNetwork]
    public var sources: [PortSource]
    /// The kernel's random offset space (RemapDistribution): 65536 from Linux 6.2 on.
    public var offsetSpace: UInt64

    public init(
        allowed: PortRangeSet, podNetworks: [IPNetwork] = [], sources: [PortSource], offsetSpace: UInt64 = 1 << 16,
        admissions: ReplyAdmissionTable? = nil
    ) {
        self.allowed = allowed
        self.admissions = admissions
        self.podNetworks = podNetworks
        self.sources = sources.isEmpty ? [.assumedPods] : sources
        self.offsetSpace = offsetSpace
    }

    /// `groups` are rule lists in the order the kernel evaluates them, one per
    /// hook chain (an iptables dump, an nft base chain): a NAT rule takes a
    /// protocol away from later rules of its group whose match includes its own.
    public func check(_ groups: [[NATRule]]) -> [RuleFinding] {
        groups.flatMap { group in
            var findings: [RuleFinding] = []
            // Lines the fixes so far insert into each iptables chain, at which
            // rule number: a later fix's numbers must count those above it.
            var inserted: [String: [(position: Int, lines: Int)]] = [:]
            for (index, rule) in group.enumerated() {
                var effective = rule.protocols
                for earlier in group[..<index] where Self.covers(egressConditions(earlier), rule.conditions) {
                    effective = effective.subtracting(earlier.protocols)
                }
                let chain = "\(rule.tool.rawValue) \(rule.table) \(rule.chain)"
                let shift = (inserted[chain] ?? []).filter { $0.position <= rule.position }.reduce(0) { $0 + $1.lines }
                let found = finding(rule, effective: effective, shift: shift)
                let insert = " -I \(rule.chain) "
                let commands: [String] = found.remedies.filter { $0.kind == .pinNATRange }.flatMap(\.commands)
                let lines = commands.filter { $0.contains(insert) }.count
                if rule.tool != .nft && lines > 0 { inserted[chain, default: []].append((rule.position, lines)) }
                findings.append(found)
            }
            return findings
        }
    }

    public func finding(_ rule: NATRule, effective: ProtocolMatch, shift: Int = 0) -> RuleFinding {
        let inScope = isInScope(rule)
        guard !effective.portCarryingProtocols.isEmpty else {
            return RuleFinding(
                rule: rule, effectiveProtocols: effective, inScope: inScope, predictions: [], verdict: .safe,
                reason: noTCPOrUDPReason(rule, effective), remedies: [])
        }
        if rule.isHostPortHairpin {
            return RuleFinding(
                rule: rule, effectiveProtocols: effective, inScope: inScope, predictions: [], verdict: .safe,
                reason: Self.hostPortHairpinReason, remedies: [])
        }
        // Only the pods whose traffic can reach the rule (its own and its
        // jumps' source matches: the bridge plugin's chain per pod).
        let reaching = sources.compactMap { $0.reaching(rule) }
        let judged = reaching.isEmpty ? [PortSource.assumedPods] : reaching
        let predictions = predictions(rule, effective: effective, sources: judged)
        let verdict = predictions.map(\.verdict).max() ?? .safe
        let worst = predictions.max { ($0.verdict, $0.shareOutsideWithoutClash) < ($1.verdict, $1.shareOutsideWithoutClash) }!
        var remedies: [Remedy] = []
        let pins = pinRanges(rule, effective: effective)
        let common = pins.values.reduce(PortRangeSet(PortRange(low: 0, high: 65535)!)) { $0.intersection(PortRangeSet($1)) }.widest
        if verdict > .uncertain, let pin = pins[.tcp] ?? pins.values.first, pins.count == effective.portCarryingProtocols.count {
            if rule.controller == "calico", let common { remedies.append(.calico(range: common)) }
            remedies.append(.pin(rule, effective: effective, to: pin, shift: shift, per: pins))
            // Pods that keep low ports: only a sysctl (or a pinned range) helps.
            for prediction in predictions
            where !rule.ports.remapsEveryFlow && rule.ports.range == nil
                && !PortRangeSet(prediction.source.range).isSubset(of: prediction.allowed)
            {
                if let common, let fix = Remedy.podPortRange(prediction.source, allowed: PortRangeSet(common)), !remedies.contains(fix) {
                    remedies.append(fix)
                }
            }
        }
        if let widen = Remedy.widenFirewall(allowed: worst.allowed, outside: worst.possiblePortsOutside), verdict > .uncertain {
            remedies.append(widen)
        }
        let unmatched =
            reaching.isEmpty
            ? "; no namespace read has an address its source match (\(rule.source ?? "its chain's jumps")) admits: judged by the kernel default 32768-60999"
            : ""
        return RuleFinding(
            rule: rule, effectiveProtocols: effective, inScope: inScope, predictions: predictions,
            verdict: verdict, reason: reason(rule, worst) + controllerNote(rule) + unmatched, remedies: remedies)
    }

    /// Why the portmap plugin's masquerade of marked packets is never egress.
    static let hostPortHairpinReason =
        "the CNI portmap plugin's hairpin masquerade: it translates only packets its hostPort DNAT marked (from the pod network or localhost to a hostPort), which go to a pod on this node and never cross the upstream firewall"
    /// One prediction per port source and per distinct firewall answer:
    /// TCP and UDP in each family the rule covers are asked separately, and
    /// those answered alike share a prediction (with `--allow` there is one
    /// per source, as before). Each peer group the firewall admits anything
    /// from is judged; ports a rule ctaudit cannot judge decides make a
    /// prediction uncertain, not outside.
    func predictions(_ rule: NATRule, effective: ProtocolMatch, sources: [PortSource]) -> [RemapPrediction] {
        let families: [IPAddress.Family] =
            switch rule.family {
            case .ipv4: [.ipv4]
            case .ipv6: [.ipv6]
            default: [.ipv4, .ipv6]
            }
        var buckets: [(groups: [ReplyAdmission.PeerGroup], keys: [String])] = []
        for proto in effective.portCarryingProtocols {
            for family in families {
                let groups = admissions.map { $0[proto, family].judgedSets } ?? [.init(peers: "any peer", admitted: allowed)]
                if let index = buckets.firstIndex(where: { $0.groups == groups }) {
                    buckets[index].keys.append("\(proto.name)/\(family)")
                } else {
                    buckets.append((groups, ["\(proto.name)/\(family)"]))
                }
            }
        }
        let perProtocol = buckets.count > 1
        var predictions: [RemapPrediction] = []
        for bucket in buckets {
            for group in bucket.groups {
                for source in sources {
                    var prediction = RemapPrediction(
                        ports: rule.ports, source: source, allowed: group.admitted.union(group.uncertain),
                        offsetSpace: offsetSpace)
                    prediction.uncertainPorts = prediction.possiblePorts.intersection(group.uncertain).subtracting(group.admitted)
                    prediction.allowed = group.admitted
                    if perProtocol || admissions != nil { prediction.appliesTo = bucket.keys }
                    if bucket.groups.count > 1 || group.peers != "any peer" { prediction.peers = group.peers }
                    predictions.append(prediction)
                }
            }
        }
        return predictions
    }

    /// The range to pin each protocol to: what its replies get through to in
    /// every family the rule covers (for the peers the firewall admits it
    /// from). A protocol the firewall admits on no port has none.
    func pinRanges(_ rule: NATRule, effective: ProtocolMatch) -> [IPProtocol: PortRange] {
        guard let admissions else {
            return allowed.widest.map { pin in Dictionary(uniqueKeysWithValues: effective.portCarryingProtocols.map { ($0, pin) }) } ?? [:]
        }
        let families: [IPAddress.Family] = rule.family == .ipv4 ? [.ipv4] : rule.family == .ipv6 ? [.ipv6] : [.ipv4, .ipv6]
        var ranges: [IPProtocol: PortRange] = [:]
        for proto in effective.portCarryingProtocols {
            if let range = admissions.pinRange(proto, families: families) { ranges[proto] = range }
        }
        return ranges
    }

    private func reason(_ rule: NATRule, _ prediction: RemapPrediction) -> String {
        let ports = prediction.source.range
        let own = "source ports \(ports.low)-\(ports.high)"
        let allowed = prediction.allowed.isEmpty ? "any admitted port (the firewall admits none)" : prediction.allowed.description
        var prefix = prediction.appliesTo.isEmpty ? "" : prediction.appliesTo.joined(separator: ", ") + ": "
        if let peers = prediction.peers { prefix += "replies admitted from \(peers) only to \(allowed); " }
        switch prediction.verdict {
        case .safe:
            return prefix + "every port it can pick (\(prediction.possiblePorts)) is allowed"
        case .uncertain:
            return prefix
                + "no port it can pick is known to be dropped, but a firewall rule ctaudit cannot judge decides replies to \(prediction.uncertainPorts)"
        case .atRisk:
            return prefix + "a flow that clashes (same pod port to the same server) is remapped into \(prediction.possiblePorts); "
                + "\(Percent(prediction.shareOfRemappedOutside)) of remapped flows land outside \(allowed)"
        case .broken where prediction.allowed.isEmpty && prediction.uncertainPorts.isEmpty:
            return prefix + "the firewall admits these replies on no port: every flow fails whatever port NAT picks (change the firewall)"
        case .broken where prediction.everyFlowRemapped:
            return prefix
                + "every flow is remapped (\(rule.ports.description)): \(Percent(prediction.shareOutsideWithoutClash)) of all flows from \(own) get a port outside \(allowed)"
        case .broken:
            return prefix
                + "\(Percent(prediction.shareOutsideWithoutClash)) of flows from \(own) get a port outside \(allowed) without any clash"
                + (rule.ports.range == nil ? " (masquerade keeps the pods' own ports)" : "")
        }
    }

    /// Why a rule that TCP and UDP never reach is safe, naming the other
    /// port-carrying protocols that still reach it (SCTP, DCCP, UDP-Lite):
    /// if it keeps ports, a pod's own low range still applies to those.
    private func noTCPOrUDPReason(_ rule: NATRule, _ effective: ProtocolMatch) -> String {
        let others = [IPProtocol.sctp, .dccp, .udplite].filter(effective.contains)
        guard !others.isEmpty, !rule.ports.remapsEveryFlow, rule.ports.range == nil else {
            return "no TCP or UDP reaches this rule (\(effective)): nothing it translates has ports"
        }
        let names = others.map(\.name).joined(separator: ", ")
        var reason =
            "no TCP or UDP reaches this rule (earlier rules take them); \(names) still do"
            + " and it keeps their ports, so pods whose own ip_local_port_range is outside \(allowed) keep those ports for \(names)"
        let pinnable = others.filter { $0 != .udplite }
        if !pinnable.isEmpty {
            reason += "; pin them like TCP/UDP (-p \(pinnable.map(\.name).joined(separator: "/-p ")) ... --to-ports)"
        }
        if others.contains(.udplite) {
            reason +=
                "; iptables cannot pin UDP-Lite (--to-ports takes tcp, udp, sctp, dccp): use nft 'masquerade to :PORTS' for it if pods use UDP-Lite"
        }
        return reason + ". TCP and UDP decide the verdict"
    }

    /// What the owner of a well-known chain masquerades, so the reader can weigh the rule.
    private func controllerNote(_ rule: NATRule) -> String {
        guard rule.controller == "kube-proxy" else { return "" }
        return
            "; kube-proxy masquerades only traffic marked 0x4000 (NodePort/LoadBalancer traffic to other nodes, hairpin, --masquerade-all): it matters where those replies cross the firewall"
    }

    /// A rule's conditions without the guards that only let traffic to
    /// non-egress destinations pass by (`RETURN`s for pod networks,
    /// multicast, loopback, link-local: the pin chain `audit` prints has
    /// them). Traffic to those never crosses the upstream firewall, so an
    /// earlier rule with such guards still takes every egress flow of the
    /// same match from the rules after it. The rule's own source network
    /// counts as a pod network: traffic from it to itself is pod-to-pod.
    /// So do the destinations the chain `audit` prints returns for: audit
    /// wrote them from the pod networks it was given.
    func egressConditions(_ rule: NATRule) -> [String] {
        let ownSource = rule.source.flatMap { $0.hasPrefix("!") ? nil : try? IPNetwork(parsing: $0) }
        let isAuditPin = rule.chainPath.contains(Remedy.pinChain)
        return rule.conditions.filter { atom in
            guard atom.hasPrefix("not(-d "), atom.hasSuffix(")") else { return true }
            let target = atom.dropFirst("not(-d ".count).dropLast()
            guard !target.contains(" "), let network = try? IPNetwork(parsing: String(target)) else { return true }
            return !(isAuditPin || isNonEgress(network, alsoLocal: ownSource.map { [$0] } ?? []))
        }
    }

    /// Whether every packet that satisfies `later` satisfies `earlier`: each
    /// earlier atom is one of the later ones, or an address match that
    /// contains one of them (`-s 10.244.0.0/16` covers `-s 10.244.0.0/24`:
    /// a pin for the whole pod network shadows a node rule for its /24).
    static func covers(_ earlier: [String], _ later: [String]) -> Bool {
        let laterSet = Set(later)
        return earlier.allSatisfy { atom in
            if laterSet.contains(atom) { return true }
            for option in ["-s ", "-d "] where atom.hasPrefix(option) {
                guard let outer = try? IPNetwork(parsing: String(atom.dropFirst(option.count))) else { return false }
                return later.contains { other in
                    guard other.hasPrefix(option),
                        let inner = try? IPNetwork(parsing: String(other.dropFirst(option.count)))
                    else { return false }
                    return outer.address.family == inner.address.family && outer.prefixLength <= inner.prefixLength
                        && outer.contains(inner.address)
                }
            }
            return false
        }
    }

    /// Pod networks, multicast, loopback and link-local: nothing there is
    /// reached through the upstream firewall.
    func isNonEgress(_ network: IPNetwork, alsoLocal: [IPNetwork] = []) -> Bool {
        let local = ["224.0.0.0/4", "127.0.0.0/8", "169.254.0.0/16", "ff00::/8", "::1/128", "fe80::/10"]
            .compactMap { try? IPNetwork(parsing: $0) }
        return (local + podNetworks + alsoLocal).contains { outer in
            outer.address.family == network.address.family && outer.prefixLength <= network.prefixLength
                && outer.contains(network.address)
        }
    }

    private func isInScope(_ rule: NATRule) -> Bool {
        guard !podNetworks.isEmpty, let source = rule.source, !source.hasPrefix("!"),
            let network = try? IPNetwork(parsing: source)
        else { return true }
        return podNetworks.contains { pod in
            pod.address.family == network.address.family
                && (pod.contains(network.address) || network.contains(pod.address))
        }
    }
}

/// A share as people read it: `49.2%`.
package struct Percent: CustomStringConvertible {
    package var value: Double
    package init(_ value: Double) { self.value = value }
    package var description: String {
        let tenths = (value * 1000).rounded()
        if tenths == 0 && value > 0 { return "<0.1%" }
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)%"
    }
}
