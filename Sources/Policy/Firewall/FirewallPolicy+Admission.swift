public import Conntrack

/// The firewall asked about a protocol's replies to every port at once, for
/// one node address: ports are cut where any rule's port range starts or
/// ends, peers where any rule's source port or source network does, so one
/// concrete reply per piece answers for the whole piece. Pieces of peers the
/// firewall treats alike are grouped and named in words.
extension FirewallPolicy {
    /// Above this many peer classes the peer is left open (its conditions are
    /// then unknown, and what they decide is uncertain) instead of enumerated.
    static let maximumPeerClasses = 4096

    /// `node`: the node's translated address; nil asks for every address the
    /// firewall distinguishes (and says so when they differ).
    public func admission(_ proto: IPProtocol, family: IPAddress.Family, node: IPAddress?) -> ReplyAdmission {
        let applying = stages.filter { $0.applies(to: family) }
        guard !applying.isEmpty else {
            return ReplyAdmission(
                proto: proto, family: family, node: node,
                groups: [.init(peers: "any peer", admitted: PortRangeSet(PortRange(low: 0, high: 65535)!))])
        }
        let rules = applying.flatMap { $0.chains.values.flatMap(\.rules) }.filter { $0.family == nil || $0.family == family }
        if node == nil {
            let nodes = AddressSegments(family: family, networks: rules.flatMap { $0.localNetworks ?? [] })
            if nodes.count > 1 {
                var answers: [(indices: [Int], groups: [ReplyAdmission.PeerGroup])] = []
                for index in 0..<nodes.count {
                    let groups = peerGroups(proto, family: family, node: nodes.starts[index], stages: applying, rules: rules)
                    if let same = answers.firstIndex(where: { $0.groups == groups }) {
                        answers[same].indices.append(index)
                    } else {
                        answers.append(([index], groups))
                    }
                }
                if answers.count > 1 {
                    var admission = ReplyAdmission(proto: proto, family: family, groups: Self.worst(answers.map(\.groups)))
                    // The widest set of addresses is "other addresses"; the rest are named.
                    let widest = answers.indices.max { Self.size(answers[$0].indices, nodes) < Self.size(answers[$1].indices, nodes) }!
                    admission.byNode = answers.enumerated().map { offset, answer in
                        let named = nodes.networks(answer.indices).map(\.description)
                        return .init(nodes: offset == widest ? "other addresses" : Self.list(named), groups: answer.groups)
                    }
                    admission.byNode.append(admission.byNode.remove(at: widest))
                    return admission
                }
                return ReplyAdmission(proto: proto, family: family, groups: answers[0].groups)
            }
        }
        return ReplyAdmission(
            proto: proto, family: family, node: node,
            groups: peerGroups(proto, family: family, node: node, stages: applying, rules: rules))
    }

    /// One admission per family for the node addresses given (none known: asked for every address).
    public func admissions(_ proto: IPProtocol, family: IPAddress.Family, nodes: [IPAddress]) -> [ReplyAdmission] {
        let mine = nodes.filter { $0.family == family }
        if mine.isEmpty { return [admission(proto, family: family, node: nil)] }
        return mine.map { admission(proto, family: family, node: $0) }
    }

    private func peerGroups(
        _ proto: IPProtocol, family: IPAddress.Family, node: IPAddress?, stages: [FirewallStage],
        rules: [FirewallRule]
    ) -> [ReplyAdmission.PeerGroup] {
        let localCuts = Self.segments(rules.flatMap { ($0.localPorts?.ranges ?? []) + ($0.eitherPorts?.ranges ?? []) })
        var remoteCuts = Self.segments(rules.flatMap { ($0.remotePorts?.ranges ?? []) + ($0.eitherPorts?.ranges ?? []) })
        var peers = AddressSegments(family: family, networks: rules.flatMap { $0.remoteNetworks ?? [] })
        let enumerate = remoteCuts.count * peers.count <= Self.maximumPeerClasses
        if !enumerate {
            remoteCuts = [PortRange(low: 0, high: 65535)!]
            peers = AddressSegments(family: family, networks: [])
        }
        struct Fate: Hashable {
            var admitted: [PortRange] = []
            var uncertain: [PortRange] = []
            var limited: [PortRange] = []
        }
        var classes: [Fate: [(port: Int, peer: Int)]] = [:]
        var order: [Fate] = []
        for port in remoteCuts.indices {
            for peer in 0..<peers.count {
                var fate = Fate()
                for segment in localCuts {
                    let base = ReplyPacket(
                        family: family, proto: proto,
                        remote: enumerate ? peers.starts[peer] : nil, remotePort: enumerate ? remoteCuts[port].low : nil,
                        local: node, localPort: segment.low)
                    switch Self.outcome(ReplyPacket.variants(of: base), stages: stages) {
                    case (.accepted, let limited):
                        fate.admitted.append(segment)
                        if limited { fate.limited.append(segment) }
                    case (.uncertain, _): fate.uncertain.append(segment)
                    case (.dropped, _): break
                    }
                }
                if classes[fate] == nil { order.append(fate) }
                classes[fate, default: []].append((port, peer))
            }
        }
        let measure: (Fate) -> Double = { fate in
            classes[fate]!.reduce(0) { $0 + Double(remoteCuts[$1.port].count) * Self.size([$1.peer], peers) }
        }
        let widest = order.max { measure($0) < measure($1) }!
        let total = remoteCuts.count * peers.count
        var groups: [ReplyAdmission.PeerGroup] = []
        for fate in order where fate != widest {
            groups.append(
                .init(
                    peers: Self.describe(classes[fate]!, ports: remoteCuts, peers: peers),
                    admitted: PortRangeSet(fate.admitted), uncertain: PortRangeSet(fate.uncertain),
                    rateLimited: PortRangeSet(fate.limited)))
        }
        groups.append(
            .init(
                peers: classes[widest]!.count == total ? "any peer" : "other peers",
                admitted: PortRangeSet(widest.admitted), uncertain: PortRangeSet(widest.uncertain),
                rateLimited: PortRangeSet(widest.limited)))
        return groups
    }

    /// Every packet through every stage: a certain drop anywhere drops, else
    /// an uncertain verdict makes it uncertain. `limited`: accepted only while
    /// a rate limit holds.
    static func outcome(_ packets: [ReplyPacket], stages: [FirewallStage]) -> (ReplyOutcome, limited: Bool) {
        var result = ReplyOutcome.accepted
        var limited = false
        for packet in packets {
            for stage in stages {
                let verdict = stage.decide(packet)
                switch verdict.outcome {
                case .dropped: return (.dropped, false)
                case .uncertain: result = .uncertain
                case .accepted: if verdict.rateLimitedBy != nil { limited = true }
                }
            }
        }
        return (result, limited && result == .accepted)
    }

    /// 0-65535 cut at every start and end of `ranges`.
    static func segments(_ ranges: [PortRange]) -> [PortRange] {
        var cuts: Set<Int> = [0]
        for range in ranges {
            cuts.insert(Int(range.low))
            cuts.insert(Int(range.high) + 1)
        }
        let starts = cuts.filter { $0 <= 65535 }.sorted()
        return starts.enumerated().map { index, start in
            PortRange(low: UInt16(start), high: UInt16(index + 1 < starts.count ? starts[index + 1] - 1 : 65535))!
        }
    }

    /// Peers in words: `source port 53`, `203.0.113.0/24`, `203.0.113.0/24 source port 53`.
    static func describe(_ members: [(port: Int, peer: Int)], ports: [PortRange], peers: AddressSegments) -> String {
        var portsByPeer: [Int: Set<Int>] = [:]
        for member in members { portsByPeer[member.peer, default: []].insert(member.port) }
        var peersByPort: [Int: Set<Int>] = [:]
        for member in members { peersByPort[member.port, default: []].insert(member.peer) }
        func portText(_ indices: Set<Int>) -> String {
            let set = PortRangeSet(indices.map { ports[$0] })
            return "source port\(set.count == 1 ? "" : "s") \(set)"
        }
        if portsByPeer.values.allSatisfy({ $0.count == ports.count }) {
            return list(peers.networks(Array(portsByPeer.keys)).map(\.description))
        }
        if peersByPort.values.allSatisfy({ $0.count == peers.count }) {
            return portText(Set(peersByPort.keys))
        }
        var peersBySet: [Set<Int>: [Int]] = [:]
        for (peer, portSet) in portsByPeer { peersBySet[portSet, default: []].append(peer) }
        return peersBySet.sorted { $0.value.min()! < $1.value.min()! }.map { portSet, indices in
            list(peers.networks(indices).map(\.description)) + " " + portText(portSet)
        }.joined(separator: "; ")
    }

    /// At most four names, then a count.
    static func list(_ names: [String]) -> String {
        names.count <= 4 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
    }

    /// How many addresses the segments hold, as a Double (IPv6 is big).
    static func size(_ indices: [Int], _ segments: AddressSegments) -> Double {
        indices.reduce(0) { total, index in
            let first = segments.starts[index]
            let last = segments.end(index)
            let high = Double(last.high) - Double(first.high)
            let low = Double(last.low) - Double(first.low)
            return total + high * 18_446_744_073_709_551_616 + low + 1
        }
    }

    /// The conservative answer when node addresses differ: what all of them admit.
    static func worst(_ answers: [[ReplyAdmission.PeerGroup]]) -> [ReplyAdmission.PeerGroup] {
        var admitted = PortRangeSet(PortRange(low: 0, high: 65535)!)
        var uncertain = PortRangeSet.empty
        var limited = PortRangeSet.empty
        for groups in answers {
            let single = ReplyAdmission(proto: .tcp, family: .ipv4, groups: groups)
            admitted = admitted.intersection(single.admittedForEveryPeer)
            uncertain = uncertain.union(single.uncertainPorts)
            limited = limited.union(groups.reduce(PortRangeSet.empty) { $0.union($1.rateLimited) })
        }
        return [
            .init(
                peers: "any peer", admitted: admitted, uncertain: uncertain.subtracting(admitted),
                rateLimited: limited.intersection(admitted))
        ]
    }
}
