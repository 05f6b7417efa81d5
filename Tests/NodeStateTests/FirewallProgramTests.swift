import Conntrack
import Foundation
import TestSupport
import Testing

@testable import NodeState
@testable import Policy

/// The compiled form of firewall stages (flat arrays, chain indices,
/// memoized branching at unknown matches) must give exactly the verdicts of
/// the rules run chain by chain, by name, with `FirewallRule.match`, every
/// way through every unknown match followed: checked against such a plain
/// interpreter, kept here.
@Suite("Firewall: compiled program judges like the rules")
struct FirewallProgramTests {
    enum End: Hashable { case accept, drop, back }

    /// Every way the rules can end for the packet (both ways at each unknown match).
    static func ends(_ stage: FirewallStage, _ packet: ReplyPacket) -> Set<End> {
        func run(_ name: String, _ from: Int, _ depth: Int) -> Set<End> {
            guard let chain = stage.chains[name], depth < 32 else { return [.back] }
            let fallOff: End = chain.noMatch.map { $0.accepts ? .accept : .drop } ?? .back
            guard from < chain.rules.count else { return [fallOff] }
            let rule = chain.rules[from]
            let match = rule.match(packet, facts: stage.facts)
            if match == .no { return run(name, from + 1, depth) }
            var taken: Set<End>
            switch rule.action {
            case .accept: taken = [.accept]
            case .drop: taken = [.drop]
            case .leave: taken = [fallOff]
            case .jump(let target), .goto(let target):
                let inner = stage.chains[target] == nil ? [End.back] : run(target, 0, depth + 1)
                taken = inner.subtracting([.back])
                if inner.contains(.back) {
                    if case .jump = rule.action { taken.formUnion(run(name, from + 1, depth)) } else { taken.insert(fallOff) }
                }
            }
            return match == .unknown ? taken.union(run(name, from + 1, depth)) : taken
        }
        return run(stage.entry, 0, 0)
    }

    /// First match wins, unknown matches taken as no match: the rule that names a certain verdict.
    static func decider(_ stage: FirewallStage, _ packet: ReplyPacket) -> FirewallStage.Decider {
        func run(_ name: String, _ depth: Int) -> FirewallStage.Decider? {
            guard let chain = stage.chains[name], depth < 32 else { return nil }
            let fallOff: FirewallStage.Decider? = chain.noMatch.map { _ in .noMatch(chain: name) }
            for (index, rule) in chain.rules.enumerated() where rule.match(packet, facts: stage.facts) == .yes {
                switch rule.action {
                case .accept, .drop: return .rule(chain: name, index: index)
                case .jump(let target): if let inner = run(target, depth + 1) { return inner }
                case .goto(let target): return run(target, depth + 1) ?? fallOff
                case .leave: return fallOff
                }
            }
            return fallOff
        }
        return run(stage.entry, 0) ?? .entryWithoutPolicy
    }

    static func expected(_ ends: Set<End>) -> ReplyOutcome {
        let accepts = ends.contains(.accept) || ends.contains(.back)
        if accepts && ends.contains(.drop) { return .uncertain }
        return accepts ? .accepted : .dropped
    }

    /// Packets across the conditions rules look at: families, protocols,
    /// port boundaries, TCP flags, known and unknown peers.
    static var packets: [ReplyPacket] {
        let ports: [UInt16] = [0, 22, 53, 443, 1023, 1024, 2047, 2048, 32767, 32768, 40000, 60999, 61000, 65535]
        let peers: [(IPAddress.Family, IPAddress?, IPAddress?)] = [
            (.ipv4, IPAddress("198.51.100.7"), IPAddress("203.0.113.40")),
            (.ipv4, IPAddress("10.0.0.9"), IPAddress("192.0.2.1")),
            (.ipv4, nil, nil),
            (.ipv6, IPAddress("2001:db8:2::10"), IPAddress("2001:db8:1::2")),
            (.ipv6, nil, nil),
        ]
        var packets: [ReplyPacket] = []
        for (family, remote, local) in peers {
            for proto in [IPProtocol.tcp, .udp, .icmp, .sctp, .gre] {
                for port in ports {
                    for remotePort: UInt16? in [443, 53, nil] {
                        let base = ReplyPacket(
                            family: family, proto: proto, remote: remote, remotePort: remotePort,
                            local: local, localPort: port)
                        packets += ReplyPacket.variants(of: base)
                        if proto == .tcp {
                            for flags: TCPFlags in [[], [.syn], [.rst], [.fin, .ack], [.psh, .ack]] {
                                var packet = base
                                packet.tcpFlags = flags
                                packets.append(packet)
                            }
                        }
                    }
                }
            }
        }
        return packets
    }

    static func expectSameVerdicts(_ policy: FirewallPolicy) {
        let program = FirewallProgram(stages: policy.stages)
        for packet in packets {
            var combined = ReplyOutcome.accepted
            for stage in policy.stages {
                let expected = expected(ends(stage, packet))
                let got = stage.decide(packet)
                #expect(got.outcome == expected, "\(packet) in \(stage.origin)")
                if expected != .uncertain {
                    #expect(got.decider == decider(stage, packet), "\(packet) in \(stage.origin)")
                }
                guard stage.applies(to: packet.family) else { continue }
                if expected == .dropped {
                    combined = .dropped
                } else if expected == .uncertain, combined == .accepted {
                    combined = .uncertain
                }
            }
            let got = program.admission(packet)
            #expect(got == (combined == .accepted ? .accept : combined == .dropped ? .drop : .uncertain), "\(packet)")
        }
    }

    @Test(
        "every fixture firewall",
        arguments: [
            "robot-incident.json", "robot-replies.json", "robot-tcp-only.json", "gateway.iptables", "gateway.nft.json",
            "aws-network-acl.json", "aws-security-groups.json", "gcp-firewall-rules.json", "hetzner-cloud.json",
        ])
    func fixture(name: String) throws {
        Self.expectSameVerdicts(try FirewallFixtures.load(name))
    }

    @Test func chainsJumpsNegationsAndUnjudgedConditions() throws {
        var lowPorts = FirewallRule(label: "low", action: .drop)
        lowPorts.protocols = [.tcp, .udp]
        lowPorts.localPorts = try PortRangeSet(parsing: "0-1023,2000-2047")
        var notFromPeer = FirewallRule(label: "not peer", action: .leave)
        notFromPeer.remoteNetworks = [try IPNetwork(parsing: "198.51.100.0/24")]
        notFromPeer.remoteNegated = true
        var unjudged = FirewallRule(label: "iface", action: .drop)
        unjudged.unevaluated = ["-m owner"]
        unjudged.localPorts = try PortRangeSet(parsing: "61000-65535")
        var acks = FirewallRule(label: "acks", action: .accept)
        acks.tcpFlags = TCPFlagMatch(robot: "ack&!syn|rst")
        var notTCP = FirewallRule(label: "not tcp", action: .goto("other"))
        notTCP.protocols = [.tcp]
        notTCP.protocolsNegated = true
        var newOnly = FirewallRule(label: "new", action: .accept)
        newOnly.connectionStates = ["new"]
        var notNew = FirewallRule(label: "not new", action: .accept)
        notNew.connectionStates = ["new"]
        notNew.connectionStatesNegated = true
        notNew.localNetworks = [try IPNetwork(parsing: "203.0.113.0/24")]
        var fromPort = FirewallRule(label: "from 443", action: .accept)
        fromPort.remotePorts = try PortRangeSet(parsing: "443")
        fromPort.family = .ipv6
        let user = FirewallChain(name: "user", rules: [notFromPeer, lowPorts, unjudged, acks], noMatch: nil)
        let other = FirewallChain(name: "other", rules: [newOnly, fromPort], noMatch: nil)
        let entry = FirewallChain(
            name: "FORWARD",
            rules: [
                FirewallRule(label: "to user", action: .jump("user")),
                FirewallRule(label: "to missing", action: .jump("missing")),
                notTCP, notNew,
            ], noMatch: .init(accepts: false, label: "policy DROP"))
        let looping = FirewallChain(name: "loop", rules: [FirewallRule(label: "again", action: .jump("loop"))], noMatch: nil)
        let stages = [
            FirewallStage(origin: "a", family: nil, entry: entry, others: [user, other]),
            FirewallStage(origin: "b", family: .ipv4, entry: FirewallChain(name: "open", rules: [], noMatch: nil)),
            FirewallStage(origin: "c", family: .ipv6, entry: looping),
        ]
        Self.expectSameVerdicts(FirewallPolicy(sources: [], stages: stages))
    }

    @Test func changingAStageRecompilesIt() throws {
        var policy = FirewallPolicy.allowList(try PortRangeSet(parsing: "32768-65535"))
        let packet = ReplyPacket(family: .ipv4, proto: .udp, remote: nil, remotePort: nil, local: nil, localPort: 1500)
        #expect(!policy.stages[0].decide(packet).accepts)
        policy.stages[0].chains["allow"]!.rules[0].localPorts = try PortRangeSet(parsing: "1024-65535")
        #expect(policy.stages[0].decide(packet).accepts)
        #expect(policy.admits(FlowFactory.flow(proto: .udp, translatedPort: 1500)))
    }
}
