import Conntrack
import Engines
import Foundation
import NodeState
import Policy

/// Shared fixtures (moved out of StatsPortPressureTests so that other suites need not reach into it).
package enum PortPressureFixtures {
    package static let policy = AuditPolicy(podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16")])

    package static func report() -> StatsReport {
        var cpu0 = CPUStatistics(cpu: 0)
        cpu0.found = 16
        cpu0.insertFailed = 2
        var cpu1 = CPUStatistics(cpu: 1)
        cpu1.found = 4
        var pressure = PortPressureAccumulator(policy: PortPressureFixtures.policy)
        pressure.add(FlowFactory.flow(id: 1, translatedPort: 40000))
        return StatsReport(
            host: "node1", netns: "cni-1", generatedAt: "2026-11-25T04:58:07Z", policy: PortPressureFixtures.policy, cpus: [cpu0, cpu1],
            tableSize: TableSize(entries: 41, maximum: 262144), pressures: pressure.pressures(),
            flowsRead: pressure.flowsRead, snat: pressure.snat, dump: DumpResult())
    }
}
