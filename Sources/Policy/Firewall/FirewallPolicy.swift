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
    /// that filters its family. The first drop decides; otherwise the rule
    /// that accepted the first reply packet is named.
    public func decide(_ flow: Flow) -> FirewallDecision {
        decide(ReplyPacket.replies(of: flow))
    }

    /// Whether every reply packet of the flow gets through: what
    /// classification needs, with no text built and nothing allocated.
    public func admits(_ flow: Flow) -> Bool {
        if stages.isEmpty { return true }
        var packet = ReplyPacket(
            family: flow.family, proto: flow.proto, remote: flow.reply.source, remotePort: flow.reply.sourcePort,
            local: flow.reply.destination, localPort: flow.reply.destinationPort)
        if flow.proto == .tcp {
            packet.tcpFlags = [.syn, .ack]
            if !admits(packet) { return false }
            packet.tcpFlags = [.ack]
        }
        return admits(packet)
    }

    private func admits(_ packet: ReplyPacket) -> Bool {
        program.admits(packet)
    }

    public func decide(_ packets: [ReplyPacket]) -> FirewallDecision {
        var accepted: FirewallDecision?
        for packet in packets {
            for stage in stages where stage.applies(to: packet.family) {
                let verdict = stage.evaluate(packet)
                if !verdict.accepts {
                    return FirewallDecision(accepts: false, decidedBy: verdict.decidedBy, origin: stage.origin,
                                            packet: packets.count > 1 ? packet.kind : nil)
                }
                if accepted == nil { accepted = FirewallDecision(accepts: true, decidedBy: verdict.decidedBy, origin: stage.origin) }
            }
        }
        if let accepted { return accepted }
        return FirewallDecision(accepts: true, decidedBy: unfilteredReason(packets.first?.family ?? .ipv4))
    }

    /// Why a family no stateless stage filters gets through.
    func unfilteredReason(_ family: IPAddress.Family) -> String {
        if let stateful = sources.first(where: { $0.statefulReason != nil }), let reason = stateful.statefulReason {
            return reason
        }
        return "no \(family) rules in \(sources.map(\.path).joined(separator: ", ")): \(family) replies are not filtered there"
    }

    /// Destination ports a reply of `proto`/`family` gets through to whatever
    /// its peer (rules that depend on the peer are taken at their worst):
    /// the range a NAT rule can be pinned to.
    public func admittedPorts(_ proto: IPProtocol, family: IPAddress.Family) -> PortRangeSet {
        guard proto.carriesPorts else { return PortRangeSet([]) }
        // The verdict can only change where some rule's port range starts or ends.
        var cuts: Set<Int> = [0]
        for stage in stages {
            for chain in stage.chains.values {
                for rule in chain.rules {
                    for range in rule.localPorts?.ranges ?? [] {
                        cuts.insert(Int(range.low))
                        cuts.insert(Int(range.high) + 1)
                    }
                }
            }
        }
        let starts = cuts.filter { $0 <= 65535 }.sorted()
        var admitted: [PortRange] = []
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1] - 1 : 65535
            let base = ReplyPacket(family: family, proto: proto, remote: nil, remotePort: nil, local: nil, localPort: UInt16(start))
            if decide(ReplyPacket.variants(of: base)).accepts {
                admitted.append(PortRange(low: UInt16(start), high: UInt16(end))!)
            }
        }
        return PortRangeSet(admitted)
    }

    /// The ports replies get through to for TCP and UDP in both families:
    /// what the rest of ctaudit (check, stats, remedies) calls "allowed".
    public var admittedForAll: PortRangeSet {
        var result = PortRangeSet([PortRange(low: 0, high: 65535)!])
        for family in [IPAddress.Family.ipv4, .ipv6] {
            for proto in [IPProtocol.tcp, .udp] {
                result = result.intersection(admittedPorts(proto, family: family))
            }
        }
        return result
    }

    /// One line per protocol/family: `tcp/ipv4 32768-65535`, `udp/ipv4 none`.
    public var admittedSummary: [String] {
        var lines: [String] = []
        for family in [IPAddress.Family.ipv4, .ipv6] {
            for proto in [IPProtocol.tcp, .udp] {
                let ports = admittedPorts(proto, family: family)
                lines.append("\(proto.name)/\(family) \(ports.ranges.isEmpty ? "none" : ports.description)")
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
    public func checkNotes(hints: ReaderHintWording = .plain) -> [String] {
        var notes = ["allowed ports come from \(hints(.firewallFiles)) \(title): the ports every TCP/UDP reply gets through to"]
        if isStateful {
            notes += sources.compactMap(\.statefulReason)
        } else {
            notes.append("replies admitted to: " + admittedSummary.joined(separator: "; "))
        }
        for source in sources { notes += source.notes.map { "\(source.path): \($0)" } }
        return notes
    }
}
