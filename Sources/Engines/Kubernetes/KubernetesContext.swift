public import NodeState

/// What an audit learnt from the node about Kubernetes: where the pod
/// networks came from, pods whose own port range is a cause, and what could
/// not be read.
public struct KubernetesContext: Hashable, Sendable {
    public var podCIDRsSource: PodCIDRsSource = .configured
    /// Where configured networks were given: `--pod-cidr`, or the config
    /// file's path. Nil when they were discovered or there are none.
    public var configuredFrom: String?
    /// The files (or routes) the pod networks were found in, when discovered.
    public var discoveredNetworks: [DiscoveredPodNetwork] = []
    /// The node root the files were read under (`--root`), "/" on the node itself.
    public var root = "/"
    /// Pods whose `ip_local_port_range` reaches outside the allowed ports.
    public var portRangeFindings: [PodPortRangeFinding] = []
    /// Pod namespaces whose port range was read; nil when not scanned.
    public var podNamespacesScanned: Int?
    public var warnings: [KubernetesWarning] = []

    public init() {}

    /// One line for reports: `discovered: 10.244.0.0/16 from /etc/cni/net.d/10-flannel.conflist (…)`.
    public var sourceSummary: String {
        switch podCIDRsSource {
        case .configured: return "given by " + (configuredFrom ?? "the configuration")
        case .none: return "none found on the node; every source-NATed flow audited"
        case .discovered:
            return "discovered: " + discoveredNetworks.map(\.description).joined(separator: "; ")
        }
    }
}
