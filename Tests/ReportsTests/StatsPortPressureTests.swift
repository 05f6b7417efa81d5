import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("stats: NAT port pressure and writers")
struct StatsPortPressureTests {

    @Test("flows group by translated address, destination, port and protocol; only groups with pod SNAT are listed")
    func grouping() throws {
        var pressure = PortPressureAccumulator(policy: PortPressureFixtures.policy)
        // Two pod flows to 203.0.113.10:8080 (one violation), one to :443.
        pressure.add(FlowFactory.flow(id: 1, sport: 40000, translatedPort: 40000))
        pressure.add(FlowFactory.flow(id: 2, sport: 40000, translatedPort: 1500))
        pressure.add(FlowFactory.flow(id: 3, dport: 443, translatedPort: 50000))
        // The node's own connection from the same address holds a port in the first space.
        pressure.add(FlowFactory.flow(id: 4, pod: "198.51.100.2", sport: 33000, translatedPort: 33000, status: [.confirmed]))
        // A non-NATed flow elsewhere and an ICMP flow are not listed.
        pressure.add(FlowFactory.flow(id: 5, pod: "10.0.0.1", server: "10.0.0.2", translatedPort: 40001, status: [.confirmed]))
        pressure.add(FlowFactory.flow(id: 6, proto: .icmp))
        let groups = pressure.pressures()
        #expect(pressure.flowsRead == 6 && pressure.snat == 3)
        #expect(groups.count == 2)
        let first = try #require(groups.first)
        #expect(first.destinationPort == 8080 && first.proto == .tcp)
        #expect(first.portsInUse == 3 && first.portsInAllowed == 2 && first.snat == 2)
        #expect(first.violations == 1 && first.remapped == 1)
        #expect(first.allowedPorts == 32768)
        #expect(first.sharePPM == 61)  // 2 of 32768 ports
        #expect(groups[1].destinationPort == 443 && groups[1].portsInUse == 1)
    }

    @Test("JSON: totals, per CPU, table and pressure with conntrack -S names")
    func json() {
        let text = StatsJSONWriter.render(PortPressureFixtures.report())
        for field in [
            #""schema": "ctaudit.stats/v1""#, #""entries": 41"#, #""max": 262144"#, #""found": 20"#,
            #""insert_failed": 2"#, #""cpu": 1"#, #""chaintoolong": 0"#, #""ports_in_use": 1"#,
            #""share": 0.000031"#, #""translated": "198.51.100.2""#, #""dport": 8080"#,
        ] {
            #expect(text.contains(field), "\(field)")
        }
    }

    @Test("text: the sum always, each CPU only with --per-cpu, and what insert_failed means")
    func text() {
        let summed = StatsTextWriter(perCPU: false).render(PortPressureFixtures.report())
        #expect(summed.contains("table: 41 entries of 262144"))
        #expect(summed.contains("insert_failed 2:"))
        #expect(!summed.contains("\n  0 ") && summed.contains("  all"))
        let perCPU = StatsTextWriter(perCPU: true).render(PortPressureFixtures.report())
        #expect(perCPU.contains("\n    0     16") || perCPU.contains("  0 "))
        #expect(perCPU.contains("198.51.100.2") && perCPU.contains("203.0.113.10:8080"))
    }

    /// Issue 12: stats with NAT failures or pressed ports says what to do
    /// next, as audit ends with its fixes; a quiet node gets no advice.
    @Test("text: NAT failures, a pressed port space and violations end with what to do next")
    func nextSteps() throws {
        let failing = StatsTextWriter().render(PortPressureFixtures.report())
        #expect(failing.contains("what to do next:"))
        #expect(failing.contains("could not insert 2 entr(y/ies)"))
        #expect(failing.contains("run 'ctaudit audit'"))

        let narrow = AuditPolicy(allowed: try PortRangeSet(parsing: "40000-40001"))
        var pressure = PortPressureAccumulator(policy: narrow)
        pressure.add(FlowFactory.flow(id: 1, sport: 40000, translatedPort: 40000))
        pressure.add(FlowFactory.flow(id: 2, sport: 40001, translatedPort: 1500))
        let pressed = StatsReport(
            host: "node1", netns: nil, generatedAt: "2026-11-25T04:58:07Z", policy: narrow, cpus: [CPUStatistics(cpu: 0)],
            tableSize: TableSize(entries: 2, maximum: 262144), pressures: pressure.pressures(),
            flowsRead: pressure.flowsRead, snat: pressure.snat, dump: DumpResult())
        let steps = StatsTextWriter.nextSteps(pressed)
        #expect(steps.contains { $0.contains("use half or more of the allowed ports") })
        #expect(steps.contains { $0.contains("1 source-NATed pod flow(s) use ports the upstream firewall drops") })

        let quiet = StatsReport(
            host: "node1", netns: nil, generatedAt: "2026-11-25T04:58:07Z", policy: PortPressureFixtures.policy,
            cpus: [CPUStatistics(cpu: 0)],
            tableSize: TableSize(entries: 0, maximum: 262144), pressures: [], flowsRead: 0, snat: 0, dump: DumpResult())
        #expect(!StatsTextWriter().render(quiet).contains("what to do next"))
    }
}
