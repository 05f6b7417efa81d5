import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of StatsPrometheusWriterTests so that other suites need not reach into it).
package enum StatsFixtures {
    /// Ten allowed ports, so a handful of flows make a space half or nearly full.
    package static let policy = AuditPolicy(
        allowed: PortRangeSet([PortRange(low: 60000, high: 60009)!]),
        podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16"), try! IPNetwork(parsing: "fd00:10:244::/48")])

    /// Three TCP spaces at 90%, 60% and 10% of the allowed range, one UDP
    /// space at 20%, one SCTP space at 0% (its one port is outside); two CPUs.
    package static func report(empty: Bool = false) -> StatsReport {
        var pressure = PortPressureAccumulator(policy: StatsFixtures.policy)
        var id: UInt32 = 1
        func add(_ count: Int, proto: IPProtocol = .tcp, dport: UInt16, base: UInt16 = 60000) {
            for offset in 0..<count {
                pressure.add(
                    FlowFactory.flow(
                        id: id, proto: proto, sport: 40000 + UInt16(offset), dport: dport,
                        translatedPort: base + UInt16(offset)))
                id += 1
            }
        }
        if !empty {
            add(9, dport: 443)
            add(6, dport: 8080)
            add(1, dport: 22)
            add(2, proto: .udp, dport: 53)
            add(1, proto: .sctp, dport: 3868, base: 1500)
        }
        var cpu0 = CPUStatistics(cpu: 0)
        cpu0.found = 16
        cpu0.insertFailed = 2
        var cpu1 = CPUStatistics(cpu: 1)
        cpu1.found = 4
        cpu1.earlyDrop = 1
        var dump = DumpResult()
        dump.malformed = empty ? 0 : 1
        return StatsReport(
            host: "node1", netns: "ctlab-node", generatedAt: "2026-11-25T04:58:07Z", policy: StatsFixtures.policy, cpus: [cpu0, cpu1],
            tableSize: TableSize(entries: 41, maximum: 262144), pressures: pressure.pressures(),
            flowsRead: pressure.flowsRead, snat: pressure.snat, dump: dump)
    }
}
