public import Conntrack

/// The upstream firewall(s) replies cross, read from their own definitions
/// (`--firewall FILE`, repeatable: every firewall in the path must admit a
/// reply). `--allow RANGES` is the one-rule case (`allowList`).
public struct FirewallPolicy: Hashable, Sendable {
    /// One file that was read.
    public struct Source: Hashable, Sendable {
        public var path: String
        public var format: FirewallFormat
        /// How many rules the file held (all of them, not only the ones about replies).
        public var rules: Int
        /// Set for stateful firewalls: why they impose no reply-port range.
        public var statefulReason: String?
        /// Things the reader wants the user to know (IPv6 not filtered, rules skipped...).
        public var notes: [String]

        public init(path: String, format: FirewallFormat, rules: Int, statefulReason: String? = nil, notes: [String] = []) {
            self.path = path
            self.format = format
            self.rules = rules
            self.statefulReason = statefulReason
            self.notes = notes
        }

        public var title: String { "\(path) (\(format.title), \(rules) rule\(rules == 1 ? "" : "s"))" }
    }

    public var sources: [Source]
    /// Stateless stages, in path order.
    public var stages: [FirewallStage] { didSet { program = FirewallProgram(stages: stages) } }
    /// Every stage compiled into one flat program: what `admits` runs per flow.
    private var program: FirewallProgram

    public init(sources: [Source], stages: [FirewallStage]) {
        self.sources = sources
        self.stages = stages
        program = FirewallProgram(stages: stages)
    }

    public static func == (lhs: FirewallPolicy, rhs: FirewallPolicy) -> Bool {
        lhs.sources == rhs.sources && lhs.stages == rhs.stages
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sources)
        hasher.combine(stages)
    }

    /// The allowed ports (`--allow RANGES` on the CLI) as a firewall: one
    /// rule accepting replies to those destination ports, everything else dropped.
    public static func allowList(_ allowed: PortRangeSet, origin: String = "allowed") -> FirewallPolicy {
        var rule = FirewallRule(label: "\(origin) \(allowed)", action: .accept)
        rule.localPorts = allowed
        let chain = FirewallChain(name: "allow", rules: [rule], noMatch: .init(accepts: false, label: "outside \(origin) \(allowed)"))
        return FirewallPolicy(sources: [], stages: [FirewallStage(origin: origin, family: nil, entry: chain)])
    }

    /// Every source is stateful: replies come back on any port.
    public var isStateful: Bool { stages.isEmpty && sources.contains { $0.statefulReason != nil } }

    /// The fate of a flow's replies: every reply packet through every stage
    /// that filters its family. The first certain drop decides; otherwise
    /// the first uncertain verdict; otherwise the rule that accepted the
    /// first reply packet is named.
    public func decide(_ flow: Flow) -> FirewallDecision {
        decide(ReplyPacket.replies(of: flow))
    }

    /// Whether every reply packet of the flow gets through (certainly).
    public func admits(_ flow: Flow) -> Bool { outcome(flow) == .accepted }

    /// The fate of the flow's replies: what classification needs, with no
    /// text built and nothing allocated on the way of a certain verdict.
    public func outcome(_ flow: Flow) -> ReplyOutcome {
        if stages.isEmpty { return .accepted }
        var packet = ReplyPacket(
            family: flow.family, proto: flow.proto, remote: flow.reply.source, remotePort: flow.reply.sourcePort,
            local: flow.reply.destination, localPort: flow.reply.destinationPort)
        var result = ReplyOutcome.accepted
        if flow.proto == .tcp {
            packet.tcpFlags = [.syn, .ack]
            switch program.admission(packet) {
            case .drop: return .dropped
            case .uncertain: result = .uncertain
            case .accept: break
            }
            packet.tcpFlags = [.ack]
        }
        switch program.admission(packet) {
        case .drop: return .dropped
        case .uncertain: return .uncertain
        case .accept: return result
        }
    }

    public func decide(_ packets: [ReplyPacket]) -> FirewallDecision {
        var accepted: FirewallDecision?
        var acceptedByRule = false
        var uncertain: FirewallDecision?
        for packet in packets {
            for stage in stages where stage.applies(to: packet.family) {
                let verdict = stage.decide(packet)
                let text = stage.describe(verdict)
                switch verdict.outcome {
                case .dropped:
                    return FirewallDecision(
                        outcome: .dropped, decidedBy: text, origin: stage.origin,
                        packet: packets.count > 1 ? packet.kind : nil)
                case .uncertain:
                    if uncertain == nil {
                        uncertain = FirewallDecision(
                            outcome: .uncertain, decidedBy: text, origin: stage.origin,
                            packet: packets.count > 1 ? packet.kind : nil)
                    }
                case .accepted:
                    // Name a rule that accepted over a stage that let the packet pass by policy.
                    let byRule = if case .rule = verdict.decider { true } else { false }
                    if accepted == nil || (byRule && !acceptedByRule) {
                        accepted = FirewallDecision(outcome: .accepted, decidedBy: text, origin: stage.origin)
                        acceptedByRule = byRule
                    }
                }
            }
        }
        if let uncertain { return uncertain }
        if let accepted { return accepted }
        return FirewallDecision(outcome: .accepted, decidedBy: unfilteredReason(packets.first?.family ?? .ipv4))
    }

    /// Why a family no stateless stage filters gets through.
    func unfilteredReason(_ family: IPAddress.Family) -> String {
        if let stateful = sources.first(where: { $0.statefulReason != nil }), let reason = stateful.statefulReason {
            return reason
        }
        return "no \(family) rules in \(sources.map(\.path).joined(separator: ", ")): \(family) replies are not filtered there"
    }

    /// The protocols and families every summary speaks about.
    public static let summarized: [(IPProtocol, IPAddress.Family)] = [(.tcp, .ipv4), (.udp, .ipv4), (.tcp, .ipv6), (.udp, .ipv6)]

    /// Destination ports a reply of `proto`/`family` gets through to whatever
    /// its peer, for every node address alike (the worst of those the
    /// firewall distinguishes).
    public func admittedPorts(_ proto: IPProtocol, family: IPAddress.Family) -> PortRangeSet {
        admission(proto, family: family, node: nil).admittedForEveryPeer
    }

    /// The ports replies get through to for TCP and UDP in both families,
    /// for every peer: one set, where one is needed (`policy.allowed`).
    public var admittedForAll: PortRangeSet {
        var result = PortRangeSet(PortRange(low: 0, high: 65535)!)
        for (proto, family) in Self.summarized { result = result.intersection(admittedPorts(proto, family: family)) }
        return result
    }

    /// One line per protocol/family (and node address, where the firewall
    /// distinguishes them): `tcp/ipv4 32768-65535`,
    /// `udp/ipv4 0-65535 only from source port 53, none from other peers`.
    public func admittedSummary(nodes: [IPAddress] = []) -> [String] {
        var lines: [String] = []
        for (proto, family) in Self.summarized {
            for admission in admissions(proto, family: family, nodes: nodes) {
                let node = admission.node.map { " to \($0)" } ?? ""
                lines.append("\(admission.key)\(node) \(admission.words)")
            }
        }
        return lines
    }

    /// How reports name the firewall(s).
    public var title: String { sources.map(\.title).joined(separator: " + ") }
}

extension FirewallPolicy {
    /// What `check` says about a `--firewall`: its allowed ports are the ports
    /// every TCP and UDP reply gets through to, per the firewall's rules.
    /// How firewall files are given is the caller's to word (`hints`).
    public func checkNotes(hints: ReaderHintWording = .plain, nodes: [IPAddress] = []) -> [String] {
        var notes = [
            "allowed ports come from \(hints(.firewallFiles)) \(title): each rule is judged against the ports its protocol's replies get through to in its family"
        ]
        if isStateful {
            notes += sources.compactMap(\.statefulReason)
        } else {
            notes.append("replies admitted to: " + admittedSummary(nodes: nodes).joined(separator: "; "))
        }
        for source in sources { notes += source.notes.map { "\(source.path): \($0)" } }
        return notes
    }
}
