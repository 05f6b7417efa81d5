import Conntrack
import Engines
import Policy

/// The Prometheus series about flows from outside the pod networks
/// (`OutsidePodFlows`). The totals always exist (0 when there are none);
/// per source network, only the `sourceSeriesLimit` largest networks, so a
/// node adds a bounded handful of series.
extension PrometheusWriter.MetricText {
    static let sourceSeriesLimit = 10

    mutating func outsidePodNetworks(_ outside: OutsidePodFlows) {
        gauge(
            "ctaudit_audit_outside_pod_networks_flows",
            "Source-NATed flows from outside the pod networks whose replies cross the upstream firewall (not audited as pod flows).",
            Double(outside.flows))
        gauge(
            "ctaudit_audit_outside_pod_networks_would_violate_flows",
            "Of the flows from outside the pod networks, those whose translated port the upstream firewall would drop.",
            Double(outside.wouldViolate))
        let entries = outside.sources.entries.prefix(Self.sourceSeriesLimit)
        guard !entries.isEmpty else { return }
        gauge(
            "ctaudit_audit_outside_pod_network_source_flows",
            "Flows from outside the pod networks by source network (summarized per /24 or /64, coarser when many; the 10 largest).",
            entries.map { (["network": $0.network.description], Double($0.flows)) })
        gauge(
            "ctaudit_audit_outside_pod_network_source_would_violate_flows",
            "Of those, by source network, the flows that would violate.",
            entries.map { (["network": $0.network.description], Double($0.wouldViolate)) })
    }
}
