import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import Testing

/// `check` predicts from rules alone; these tests hold the prediction against
/// what the kernel really does with the same rule in a namespace of their own.
///
/// Tolerance: each translated port is one Bernoulli draw with the predicted
/// probability p of landing outside the allowed range, so the measured share
/// over n flows has standard deviation sqrt(p(1-p)/n). A test fails only if
/// the measurement is more than 4 of those away (false alarm ~6e-5), i.e.
/// ±0.032 for n = 4000 and ±0.052 for n = 1500 at p = 0.5; at p = 0 the
/// tolerance is 0: a pinned range must leave nothing outside.
@Suite(
    "check: prediction against the kernel", .serialized,
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(
        if: Shell.has("iptables-nft-restore") && Shell.has("nft") && Shell.has("python3"),
        "needs iptables (nf_tables), nftables and python3"))
struct CheckKernelTests {
    static let allowed = PortRangeSet.defaultAllowed
    static let podNetwork = try! IPNetwork(parsing: CheckTopology.podNetwork)

    func check(_ topology: CheckTopology, scan: Bool = false) throws -> CheckReport {
        try NodeCheck(
            allowed: Self.allowed, podNetworks: [Self.podNetwork],
            namespace: try NetworkNamespace.resolve(topology.node), scanNamespaces: scan
        ).run()
    }

    static func tolerance(_ p: Double, _ n: Int) -> Double { 4 * (p * (1 - p) / Double(n)).squareRoot() }

    /// Both random flags skip "keep the port if free" (NF_NAT_RANGE_PROTO_RANDOM_ALL).
    @Test(arguments: ["--random-fully", "--random"])
    func randomFlagsRemapEveryFlowAndHalfLandBelow32768(_ flag: String) throws {
        let topology = try CheckTopology.up("ckrf")
        defer { topology.down() }
        try topology.loadIptables(["-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -j MASQUERADE \(flag)"])

        let report = try check(topology)
        #expect(report.verdict == .broken)
        let prediction = try #require(report.findings.first?.predictions.first)
        #expect(prediction.everyFlowRemapped)

        let n = 4000
        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: n)
        let flows = try topology.flowsToServer()
        try #require(flows.count >= n - 5, "expected \(n) flows, read \(flows.count)")
        // The 16-bit offset's bias (Linux >= 6.2): 1024-2047 drawn twice as often as a uniform pick would.
        let band = PortRangeSet(PortRange(low: 1024, high: 2047)!)
        let bandPredicted = RemapDistribution(
            range: PortRange(low: 1024, high: 65535)!,
            offsetSpace: RemapDistribution.offsetSpace(kernelRelease: report.kernelRelease ?? "")
        )
        .share(of: band)
        let bandMeasured = Double(flows.filter { band.contains($0.translatedSourcePort) }.count) / Double(flows.count)
        let bandTolerance = Self.tolerance(bandPredicted, flows.count)
        print("check kernel: \(flag), share in 1024-2047 measured \(bandMeasured), predicted \(bandPredicted) ± \(bandTolerance)")
        #expect(abs(bandMeasured - bandPredicted) <= bandTolerance)
        let outside = flows.filter { !Self.allowed.contains($0.translatedSourcePort) }.count
        let measured = Double(outside) / Double(flows.count)
        let tolerance = Self.tolerance(prediction.shareOutsideWithoutClash, flows.count)
        print(
            "check kernel: \(flag), \(flows.count) flows, measured \(measured) outside, predicted \(prediction.shareOutsideWithoutClash) ± \(tolerance)"
        )
        #expect(abs(measured - prediction.shareOutsideWithoutClash) <= tolerance)
        #expect(flows.filter(\.isPortRemapped).count >= flows.count - 10, "random-fully remaps (almost) every flow")
        #expect(flows.allSatisfy { prediction.possiblePorts.contains($0.translatedSourcePort) })
    }

    @Test func plainMasqueradeRemapsOnlyClashesAndHalfOfThoseLandBelow32768() throws {
        let topology = try CheckTopology.up("ckpm")
        defer { topology.down() }
        try topology.loadIptables(["-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -j MASQUERADE"])

        let report = try check(topology)
        #expect(report.verdict == .atRisk)
        let prediction = try #require(report.findings.first?.predictions.first)
        #expect(prediction.shareOutsideWithoutClash == 0)

        // The second pod reuses the first pod's ports towards the same server: every one clashes.
        let n = 1500
        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: n)
        try topology.sendUDP(from: topology.pods[1], firstPort: 40000, count: n)
        let flows = try topology.flowsToServer()
        let kept = flows.filter { !$0.isPortRemapped }
        let remapped = flows.filter(\.isPortRemapped)
        try #require(remapped.count >= n - 5, "expected \(n) clashes, saw \(remapped.count)")
        #expect(kept.allSatisfy { Self.allowed.contains($0.translatedSourcePort) })
        let measured = Double(remapped.filter { !Self.allowed.contains($0.translatedSourcePort) }.count) / Double(remapped.count)
        let tolerance = Self.tolerance(prediction.shareOfRemappedOutside, remapped.count)
        print(
            "check kernel: plain masquerade, \(remapped.count) clashes, measured \(measured) outside, predicted \(prediction.shareOfRemappedOutside) ± \(tolerance)"
        )
        #expect(abs(measured - prediction.shareOfRemappedOutside) <= tolerance)
    }

    /// The pinned range: prediction 0 outside for every flow, kept or
    /// remapped, and the kernel agrees for UDP and TCP, for clashes and for
    /// original ports below the range (which it moves into the range).
    @Test func toPortsPinnedRangePredictsAndMeasuresNothingOutside() throws {
        let topology = try CheckTopology.up("cktp")
        defer { topology.down() }
        let match = "-s \(CheckTopology.podNetwork) -o out0"
        try topology.loadIptables([
            "-A POSTROUTING \(match) -p tcp -j MASQUERADE --to-ports 32768-65535",
            "-A POSTROUTING \(match) -p udp -j MASQUERADE --to-ports 32768-65535",
        ])
        let report = try check(topology)
        #expect(report.verdict == .safe, "\(report.findings.map(\.reason))")
        let predictions = report.findings.filter(\.inScope).flatMap(\.predictions)
        try #require(predictions.count >= 2)
        #expect(predictions.allSatisfy { $0.shareOutsideWithoutClash == 0 && $0.shareOfRemappedOutside == 0 })

        let n = 500
        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: n)
        try topology.sendUDP(from: topology.pods[1], firstPort: 40000, count: n)
        try topology.sendUDP(from: topology.pods[1], firstPort: 1024, count: n)
        try topology.sendTCPSyn(from: topology.pods[0], firstPort: 45000, count: n)
        try topology.sendTCPSyn(from: topology.pods[1], firstPort: 45000, count: n)
        for (proto, expected) in [(IPProtocol.udp, 3 * n), (.tcp, 2 * n)] {
            let flows = try topology.flowsToServer(proto)
            try #require(flows.count >= expected - 5, "\(proto): expected \(expected) flows, read \(flows.count)")
            let remapped = flows.filter(\.isPortRemapped).count
            let outside = flows.filter { !Self.allowed.contains($0.translatedSourcePort) }.count
            print(
                "check kernel: --to-ports 32768-65535, \(proto) \(flows.count) flows, \(remapped) remapped, measured \(outside) outside, predicted 0"
            )
            #expect(remapped >= (proto == .udp ? 2 * n : n) - 5, "clashes (and UDP's low ports) must be remapped")
            #expect(outside == 0)
        }
    }

    /// nft's own syntax through the nft JSON reader: `to :1024-65535` keeps
    /// free ports and remaps clashes into the whole range, `random` remaps
    /// every flow. Pod 1's ports are free, pod 2's clash with pod 1's.
    @Test(arguments: ["meta l4proto { tcp, udp } masquerade to :1024-65535", "masquerade random"])
    func nftMasqueradeSharesMatchThePrediction(_ statement: String) throws {
        let topology = try CheckTopology.up("cknm")
        defer { topology.down() }
        try topology.loadNft(
            """
            table ip nat {
                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr \(CheckTopology.podNetwork) oifname "out0" \(statement)
                }
            }
            """)
        let report = try check(topology)
        let prediction = try #require(report.findings.first { $0.inScope }?.predictions.first)
        let random = statement.hasSuffix("random")
        #expect(report.verdict == (random ? .broken : .atRisk))
        #expect(prediction.everyFlowRemapped == random)

        let n = 1500
        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: n)
        try topology.sendUDP(from: topology.pods[1], firstPort: 40000, count: n)
        let flows = try topology.flowsToServer()
        try #require(flows.count >= 2 * n - 10, "expected \(2 * n) flows, read \(flows.count)")
        let first = flows.filter { $0.original.source.description == "10.77.0.2" }
        let second = flows.filter { $0.original.source.description == "10.77.0.3" }
        #expect(second.filter(\.isPortRemapped).count >= second.count - 5, "pod 2 clashes on every port")
        for (flows, predicted, label) in [
            (first, prediction.shareOutsideWithoutClash, "free ports"),
            (second, prediction.shareOfRemappedOutside, "clashing ports"),
        ] {
            let measured = Double(flows.filter { !Self.allowed.contains($0.translatedSourcePort) }.count) / Double(flows.count)
            let tolerance = Self.tolerance(predicted, flows.count)
            print(
                "check kernel: nft \(statement), \(label), \(flows.count) flows, measured \(measured) outside, predicted \(predicted) ± \(tolerance)"
            )
            #expect(abs(measured - predicted) <= tolerance)
            #expect(flows.allSatisfy { prediction.possiblePorts.contains($0.translatedSourcePort) })
        }
    }

    @Test func podsLowPortRangeIsFoundAndKeptThroughMasquerade() throws {
        let topology = try CheckTopology.up("ckpr")
        defer { topology.down() }
        try topology.loadIptables(["-A POSTROUTING -s \(CheckTopology.podNetwork) -o out0 -j MASQUERADE"])
        try Shell.sh("ip netns exec \(topology.pods[1]) sysctl -qw net.ipv4.ip_local_port_range='1024 2047'")

        let report = try check(topology, scan: true)
        #expect(report.verdict == .broken)
        let low = try #require(report.sources.first { $0.range == PortRange(low: 1024, high: 2047) })
        #expect(low.users.contains(topology.pods[1]))
        #expect(report.remedies.contains { $0.kind == .podPortRange })

        // An unbound socket takes its port from the pod's range and keeps it through NAT.
        try Shell.sh(
            "ip netns exec \(topology.pods[1]) python3 -c 'import socket\nfor _ in range(50):\n s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b\"x\", (\"\(CheckTopology.serverAddress)\", 5353)); s.close()'"
        )
        let flows = try topology.flowsToServer()
        #expect(flows.count >= 45)
        #expect(flows.allSatisfy { !Self.allowed.contains($0.translatedSourcePort) && !$0.isPortRemapped })
    }

    @Test func aRuleCheckCallsSafeYieldsNoAuditViolation() throws {
        let topology = try CheckTopology.up("cksf")
        defer { topology.down() }
        let match = "-s \(CheckTopology.podNetwork) -o out0"
        try topology.loadIptables([
            "-A POSTROUTING \(match) -p tcp -j MASQUERADE --to-ports 32768-65535 --random-fully",
            "-A POSTROUTING \(match) -p udp -j MASQUERADE --to-ports 32768-65535 --random-fully",
            "-A POSTROUTING \(match) -j MASQUERADE",
        ])
        try Shell.sh("ip netns exec \(topology.pods[1]) sysctl -qw net.ipv4.ip_local_port_range='1024 2047'")
        let report = try check(topology)
        #expect(report.verdict == .safe, "\(report.findings.map(\.reason))")

        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: 500)
        try topology.sendUDP(from: topology.pods[1], firstPort: 40000, count: 500)
        try topology.sendUDP(from: topology.pods[1], firstPort: 1024, count: 500)
        let audit = try Auditor(policy: AuditPolicy(allowed: Self.allowed, podNetworks: [Self.podNetwork]))
            .run(namespace: try NetworkNamespace.resolve(topology.node))
        #expect(audit.summary.snat >= 1490)
        #expect(audit.summary.remapped >= 1490)
        #expect(audit.summary.violations == 0)
    }

    @Test func theIptablesRemedyCheckPrintsMakesTheNodeSafe() throws {
        let topology = try CheckTopology.up("ckfx")
        defer { topology.down() }
        try topology.loadIptables([
            "-N POD-MASQ",
            "-A POSTROUTING -s \(CheckTopology.podNetwork) -j POD-MASQ",
            "-A POD-MASQ -d \(CheckTopology.podNetwork) -j RETURN",
            "-A POD-MASQ -o out0 -j MASQUERADE --random-fully",
        ])
        let before = try check(topology)
        #expect(before.verdict == .broken)
        let pin = try #require(before.remedies.first { $0.kind == .pinNATRange })
        for command in pin.commands { try Shell.sh("ip netns exec \(topology.node) \(command)") }
        let after = try check(topology)
        #expect(after.verdict == .safe, "\(after.findings.map { "\($0.rule.text): \($0.reason)" })")

        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: 300)
        let flows = try topology.flowsToServer()
        #expect(flows.count >= 295)
        #expect(flows.allSatisfy { Self.allowed.contains($0.translatedSourcePort) })
    }

    @Test func theNftRemedyCheckPrintsMakesTheNodeSafe() throws {
        let topology = try CheckTopology.up("cknf")
        defer { topology.down() }
        try topology.loadNft(
            """
            table inet nat {
                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr \(CheckTopology.podNetwork) oifname "out0" masquerade fully-random
                }
            }
            """)
        let before = try check(topology)
        #expect(before.verdict == .broken)
        let pin = try #require(before.remedies.first { $0.kind == .pinNATRange })
        #expect(pin.commands.first?.contains("meta l4proto { dccp, sctp, tcp, udp, udplite } masquerade to :32768-65535") == true)
        for command in pin.commands { try Shell.sh("ip netns exec \(topology.node) \(command)") }
        let after = try check(topology)
        #expect(after.verdict == .safe, "\(after.findings.map { "\($0.rule.text): \($0.reason)" })")

        try topology.sendUDP(from: topology.pods[0], firstPort: 40000, count: 300)
        let flows = try topology.flowsToServer()
        #expect(flows.count >= 295)
        #expect(flows.allSatisfy { Self.allowed.contains($0.translatedSourcePort) })
    }
}
