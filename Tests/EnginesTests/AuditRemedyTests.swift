import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// The fix `audit` prints must be something an SRE can paste: rules that
/// land before the node's MASQUERADE, for every pod network, and nothing
/// for a family the audit never saw. The kernel half of this (that the
/// lines really fix the lab) is in IntegrationTests/AuditRemedyKernelTests.
@Suite("audit: remedies")
struct AuditRemedyTests {
    static func report(podNetworks: [String], allowed: PortRangeSet = .defaultAllowed, flows: [Flow]) -> AuditReport {
        let policy = AuditPolicy(allowed: allowed, podNetworks: podNetworks.map { try! IPNetwork(parsing: $0) })
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000)
        for flow in flows { accumulator.add(flow) }
        return AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-11-27T00:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(),
            dump: DumpResult(), tableSize: nil)
    }

    static func pin(_ report: AuditReport) throws -> [String] {
        try #require(report.remedies.first { $0.kind == .pinNATRange }).commands
    }

    /// Two pod networks: traffic between them must not be NATed (a rule per
    /// network with `! -d` its own network would NAT 10.244 -> 10.245), so
    /// one chain returns for every pod network and multicast, then pins.
    @Test func everyPodNetworkJumpsToOneChainThatSkipsAllPodNetworks() throws {
        let report = Self.report(
            podNetworks: ["10.244.0.0/16", "10.245.0.0/16"],
            flows: [
                FlowFactory.flow(id: 1, translatedPort: 1500)
            ])
        #expect(
            try Self.pin(report) == [
                "iptables -t nat -N CTAUDIT-PIN",
                "iptables -t nat -A CTAUDIT-PIN -d 10.244.0.0/16 -j RETURN",
                "iptables -t nat -A CTAUDIT-PIN -d 10.245.0.0/16 -j RETURN",
                "iptables -t nat -A CTAUDIT-PIN -d 224.0.0.0/4 -j RETURN",
                "iptables -t nat -A CTAUDIT-PIN -p tcp -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -A CTAUDIT-PIN -p udp -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -A CTAUDIT-PIN -p dccp -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -A CTAUDIT-PIN -p sctp -j MASQUERADE --to-ports 32768-65535",
                "iptables -t nat -I POSTROUTING 1 -s 10.244.0.0/16 -j CTAUDIT-PIN",
                "iptables -t nat -I POSTROUTING 2 -s 10.245.0.0/16 -j CTAUDIT-PIN",
            ])
    }

    /// iptables refuses `-p udplite ... --to-ports`; nft can pin it.
    @Test func udpLiteIsLeftToNft() throws {
        let report = Self.report(
            podNetworks: ["10.244.0.0/16"],
            flows: [
                FlowFactory.flow(id: 1, proto: .udplite, translatedPort: 2000)
            ])
        #expect(try !Self.pin(report).contains { $0.contains("udplite") })
        #expect(report.remedies[0].summary.contains("UDP-Lite cannot be pinned with iptables"))
        #expect(report.remedies[1].summary.contains("meta l4proto { tcp, udp, dccp, sctp, udplite } masquerade to :32768-65535"))
    }

    @Test func noIp6tablesLinesWithoutAnIPv6PodNetworkOrViolation() throws {
        let report = Self.report(podNetworks: ["10.244.0.0/16"], flows: [FlowFactory.flow(id: 1, translatedPort: 1500)])
        let commands = report.remedies.flatMap(\.commands) + report.remedies.map(\.summary)
        #expect(!commands.contains { $0.contains("ip6tables") || $0.contains("POD_CIDR") })
    }

    @Test func aConfiguredIPv6PodNetworkGetsLinesEvenWithoutIPv6Violations() throws {
        let report = Self.report(
            podNetworks: ["10.244.0.0/16", "fd00:10:244::/64"],
            flows: [FlowFactory.flow(id: 1, translatedPort: 1500)])
        #expect(
            try Self.pin(report).filter { $0.hasPrefix("ip6tables -t nat -I POSTROUTING ") } == [
                "ip6tables -t nat -I POSTROUTING 1 -s fd00:10:244::/64 -j CTAUDIT-PIN"
            ])
        #expect(try Self.pin(report).contains("ip6tables -t nat -A CTAUDIT-PIN -d ff00::/8 -j RETURN"))
    }

    /// Without --pod-cidr there is no -s to give; a placeholder makes iptables
    /// refuse the line instead of NATing the node's own traffic.
    @Test func withoutPodNetworksOnlyTheViolatingFamiliesGetAPlaceholder() throws {
        let report = Self.report(
            podNetworks: [],
            flows: [
                FlowFactory.flow(id: 1, pod: "fd00:10:244::3", server: "2001:db8:2::10", node: "2001:db8:1::2", translatedPort: 9000)
            ])
        let pin = try #require(report.remedies.first { $0.kind == .pinNATRange })
        #expect(pin.commands.allSatisfy { $0.hasPrefix("ip6tables ") })
        #expect(pin.commands.contains("ip6tables -t nat -A CTAUDIT-PIN -d POD_CIDR6 -j RETURN"))
        #expect(pin.commands.contains("ip6tables -t nat -I POSTROUTING 1 -s POD_CIDR6 -j CTAUDIT-PIN"))
        #expect(pin.summary.contains("replace POD_CIDR6"))
    }

    @Test func keptPortsAloneStillGetThePin() throws {
        // A pinned range moves a kept port that is outside it, so it fixes these too.
        let report = Self.report(
            podNetworks: ["10.244.0.0/16"],
            flows: [
                FlowFactory.flow(id: 1, proto: .udp, pod: "10.244.0.4", sport: 1100, dport: 5353, translatedPort: 1100)
            ])
        #expect(report.remedies.map(\.kind) == [.pinNATRange, .pinNATRange, .calicoNATPortRange, .podPortRange, .widenFirewall])
        #expect(report.remedies[0].summary.hasPrefix("masquerade kept 1 pod port(s) outside 32768-65535"))
    }

    /// Every protocol iptables can pin is pinned, violations or not: one
    /// left out (SCTP) would still reach the node's own rule, which keeps a
    /// pod's low port, and `check` would still call the node broken.
    @Test func tcpUdpSctpAndDccpArePinnedEvenWithOnlyTCPViolations() throws {
        let report = Self.report(
            podNetworks: ["10.244.0.0/16"],
            flows: [
                FlowFactory.flow(id: 1, proto: .tcp, translatedPort: 2000)
            ])
        #expect(
            try Self.pin(report).filter { $0.contains("MASQUERADE") }.map { $0.split(separator: " ")[6] } == ["tcp", "udp", "dccp", "sctp"])
        #expect(report.remedies[1].summary.contains("meta l4proto { tcp, udp, dccp, sctp } masquerade to :32768-65535"))
        #expect(report.remedies[0].summary.contains("UDP-Lite cannot be pinned with iptables and still reaches the node's rule"))
    }

    @Test func thePinnedRangeIsTheWidestAllowedRange() throws {
        let allowed = try PortRangeSet(parsing: "1024-2047,40000-60999")
        let report = Self.report(
            podNetworks: ["10.244.0.0/16"], allowed: allowed,
            flows: [FlowFactory.flow(id: 1, translatedPort: 3000)])
        #expect(try Self.pin(report).filter { $0.contains("MASQUERADE") }.allSatisfy { $0.hasSuffix("--to-ports 40000-60999") })
    }

    /// The firewall rule matches replies by destination port; "from A to B"
    /// read like source ports.
    @Test func theFirewallAlternativeNamesDestinationPorts() throws {
        let report = Self.report(podNetworks: ["10.244.0.0/16"], flows: [FlowFactory.flow(id: 1, translatedPort: 1500)])
        let widen = try #require(report.remedies.last)
        #expect(widen.kind == .widenFirewall)
        #expect(
            widen.summary
                == "or widen the upstream firewall rule that lets replies in: allow destination ports 1024-65535, not only 32768-65535 (the ports NAT and the pods use here)"
        )
    }

    @Test func aCleanReportHasNoRemedy() {
        let report = Self.report(podNetworks: ["10.244.0.0/16"], flows: [FlowFactory.flow(id: 1, translatedPort: 40000)])
        #expect(report.remedies.isEmpty)
    }
}
