import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// Text, HTML and Prometheus keep only the worst flows whole (and a 16-byte
/// key of every violation); they must print exactly what they print when
/// every violation is kept.
@Suite("Violation list: keeping only the worst flows")
struct ViolationRetentionTests {
    /// Many pods, destinations and ports: many groups, ties in the worst-first
    /// key (same pod, destination and port), both families, some spilled.
    static func flows(count: Int, seed: UInt64) -> [Flow] {
        var generator = SplitMix64(seed: seed)  // seeded: a failure reproduces
        return (0..<count).map { index in
            let v6 = generator.next() % 4 == 0
            let pod = Int(generator.next() % 40) + 1
            let server = Int(generator.next() % 6) + 1
            let proto: IPProtocol = generator.next() % 3 == 0 ? .udp : .tcp
            let sport = UInt16(40000 + generator.next() % 3)
            let translated = UInt16(generator.next() % 3 == 0 ? sport : UInt16(1024 + generator.next() % 60000))
            var flow = FlowFactory.flow(
                id: UInt32(index), proto: proto, pod: v6 ? "fd00:10:244::\(pod)" : "10.244.0.\(pod)", sport: sport,
                server: v6 ? "2001:db8:2::\(server)" : "203.0.113.\(server)", dport: proto == .udp ? 53 : 443,
                node: v6 ? "2001:db8:1::2" : "198.51.100.2", translatedPort: translated,
                status: generator.next() % 2 == 0 ? [.sourceNAT] : [.sourceNAT, .seenReply])
            flow.startedAtNanoseconds = 1_000_000_000 * (generator.next() % 900)
            return flow
        }
    }

    static func report(_ flows: [Flow], policy: AuditPolicy, retention: ViolationList.Retention) -> AuditReport {
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000, retention: retention)
        for flow in flows { accumulator.add(flow) }
        var report = AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-11-30T12:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.takeSortedViolations(), dump: DumpResult(),
            tableSize: nil, translatedPorts: accumulator.translatedPorts, durationSeconds: 0.5)
        report.firewallDropTally = accumulator.firewallDrops
        return report
    }

    static let policy = AuditPolicy(
        allowed: .defaultAllowed,
        podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16"), try! IPNetwork(parsing: "fd00:10:244::/48")])

    @Test(arguments: [0, 1, 7, 50, 3_000])
    func keepsExactlyTheFirstOfTheFullOrder(limit: Int) {
        let flows = Self.flows(count: 2_000, seed: UInt64(limit) + 1)
        let all = Self.report(flows, policy: Self.policy, retention: .all)
        let worst = Self.report(flows, policy: Self.policy, retention: .worst(limit))
        #expect(worst.violations.total == all.violations.total)
        #expect(Array(worst.violations) == Array(all.violations.prefix(limit)))
        #expect(worst.violations.isComplete == (limit >= all.violations.total))
        #expect(OffenderGroup.worst(worst.violations, limit: 25).groups == Array(all.offenders.prefix(25)))
        #expect(OffenderGroup.worst(worst.violations, limit: 25).count == all.offenders.count)
        #expect(worst.violations.podSources == all.violations.podSources)
    }

    /// Grouping sorts packed keys; a plain dictionary over whole violations
    /// (spilled ones and mixed families included) gives the same groups.
    @Test func groupsMatchADictionaryOverWholeViolations() {
        var violations = Self.flows(count: 1_500, seed: 3).map { Violation(flow: $0) }
        violations += ViolationSamples.all()
        violations.append(Violation(flow: FlowFactory.flow(id: 77), ageSeconds: .max))  // spilled, same group as a packed one
        let list = ViolationList(violations)
        struct Key: Hashable {
            var source, destination: IPAddress
            var port: UInt16
            var proto: IPProtocol
        }
        var reference: [Key: OffenderGroup] = [:]
        var ports: [Key: Set<UInt16>] = [:]
        for violation in violations {
            let original = violation.flow.original
            let key = Key(source: original.source, destination: original.destination, port: original.destinationPort, proto: original.proto)
            reference[
                key,
                default: OffenderGroup(
                    podSource: key.source, destination: key.destination,
                    destinationPort: key.port, proto: key.proto)
            ].violations += 1
            if violation.isUnreplied { reference[key]!.unreplied += 1 }
            if violation.isRemapped { reference[key]!.remapped += 1 }
            ports[key, default: []].insert(violation.translatedPort)
        }
        for key in reference.keys { reference[key]!.translatedPorts = ports[key]!.sorted() }
        #expect(OffenderGroup.group(list) == reference.values.sorted { $0.isWorse(than: $1) })
    }

    @Test func textHTMLAndPrometheusPrintTheSame() {
        let flows = Self.flows(count: 3_000, seed: 42)
        let all = Self.report(flows, policy: Self.policy, retention: .all)
        #expect(all.violations.total > 1_000)
        let text = TextReportWriter(flowLimit: 30, groupLimit: 20)
        #expect(text.render(Self.report(flows, policy: Self.policy, retention: .worst(30))) == text.render(all))
        let html = HTMLReportWriter(flowLimit: 40, groupLimit: 15)
        let htmlPage = html.render(Self.report(flows, policy: Self.policy, retention: .worst(40)))
        #expect(htmlPage == html.render(all))
        #expect(htmlPage.contains("more pod/destination pairs"))
        #expect(
            PrometheusWriter.render(Self.report(flows, policy: Self.policy, retention: .worst(0)), timestamp: 1)
                == PrometheusWriter.render(all, timestamp: 1))
    }

    @Test func firewallDropsAreCountedWhateverIsKept() throws {
        let firewall = try FirewallFixtures.load("robot-incident.json")
        let policy = AuditPolicy(firewall: firewall, podNetworks: [try IPNetwork(parsing: "10.244.0.0/16")])
        let flows = Self.flows(count: 1_500, seed: 7).filter { $0.family == .ipv4 }
        let all = Self.report(flows, policy: policy, retention: .all)
        let worst = Self.report(flows, policy: policy, retention: .worst(5))
        #expect(!all.firewallDrops.isEmpty)
        #expect(worst.firewallDrops == all.firewallDrops)
        // Counted during the audit, or from the violations of a report built by hand: the same.
        var handMade = all
        handMade.firewallDropTally = nil
        #expect(handMade.firewallDrops == all.firewallDrops)
        let text = TextReportWriter(flowLimit: 5, groupLimit: 5)
        #expect(text.render(worst) == text.render(all))
    }
}
