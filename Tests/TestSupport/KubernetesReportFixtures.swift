import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of KubernetesReportTests so that other suites need not reach into it).
package enum KubernetesReportFixtures {
    package static func report() -> AuditReport {
        var named = Violation(flow: FlowFactory.flow(id: 1, pod: "10.244.1.7", sport: 1200, translatedPort: 1200))
        var pod = PodIdentity(ip: IPAddress("10.244.1.7")!)
        pod.name = "web-1"
        pod.namespace = "shop"
        pod.netns = "cni-1234"
        pod.containerID = KubernetesFixtures.kubeadmSandbox
        named.pod = pod
        var anonymous = Violation(flow: FlowFactory.flow(id: 2, pod: "10.244.1.9", translatedPort: 2000))
        anonymous.pod = PodIdentity(ip: IPAddress("10.244.1.9")!)
        var summary = AuditSummary()
        summary.violations = 2
        summary.snat = 2
        summary.violationsKeptPort = 1
        var report = AuditReport(
            host: "node-1", netns: nil, generatedAt: "2026-01-01T00:00:00Z",
            policy: AuditPolicy(podNetworks: KubernetesFixtures.networks("10.244.0.0/16")),
            summary: summary, violations: [named, anonymous],
            dump: DumpResult(), tableSize: nil)
        report.kubernetes.podCIDRsSource = .discovered
        report.kubernetes.discoveredNetworks = [
            DiscoveredPodNetwork(
                network: KubernetesFixtures.networks("10.244.0.0/16")[0], kind: .flannelSubnetEnv,
                file: "/run/flannel/subnet.env", detail: "FLANNEL_NETWORK")
        ]
        var finding = PodPortRangeFinding(
            pod: pod, range: PortRange(low: 1024, high: 2047)!,
            outside: PortRangeSet([PortRange(low: 1024, high: 2047)!]))
        finding.keptPortViolations = 1
        report.kubernetes.portRangeFindings = [finding]
        report.kubernetes.warnings = [KubernetesWarning(subject: "/etc/cni/net.d/x.conf", message: "invalid JSON at line 1: x; skipped")]
        return report
    }
}
