public import Conntrack
public import NodeState
public import Policy

/// The two steps an audit takes on a Kubernetes node, around the dump:
/// before it, find the pod networks when none were given; after it, name
/// the pod behind each violation and read every pod's port range.
public struct KubernetesAwareness: Sendable {
    public var root: NodeRoot
    /// The audited namespace (the node's network stack); nil for ctaudit's own.
    public var namespace: NetworkNamespace?
    /// Name pods and scan their port ranges (needs root: setns, /proc/PID).
    public var attributePods: Bool

    public init(root: NodeRoot = .host, namespace: NetworkNamespace? = nil, attributePods: Bool = true) {
        self.root = root
        self.namespace = namespace
        self.attributePods = attributePods
    }

    /// Fills `policy.podNetworks` from the node when it is empty, and says
    /// where the networks came from.
    public func preparePolicy(_ policy: inout AuditPolicy) -> KubernetesContext {
        var context = KubernetesContext()
        context.root = root.description
        guard policy.podNetworks.isEmpty else {
            context.podCIDRsSource = .configured
            return context
        }
        let discovery = PodNetworkDiscovery(root: root, routesNamespace: root.isHost ? namespace : nil).discover()
        context.warnings += discovery.warnings
        context.discoveredNetworks = discovery.found
        context.podCIDRsSource = discovery.networks.isEmpty ? .none : .discovered
        policy.podNetworks = discovery.networks
        return context
    }

    /// Names the pods behind `report`'s violations and finds pods whose own
    /// port range is a cause; stores `context` in the report.
    public func annotate(_ report: inout AuditReport, context: KubernetesContext) {
        var context = context
        defer { report.kubernetes = context }
        guard attributePods else { return }
        var attribution = PodAttribution.load(root: root, excluding: namespace.map { [$0] } ?? [])
        // One identity per pod address, however many violations it has.
        report.violations.attributePods(attribution.identify(report.violations.podSources))
        let scan = PodPortRangeScan.scan(
            attribution: &attribution, admissions: report.policy.admissions,
            podNetworks: report.policy.podNetworks, violations: report.violations)
        context.portRangeFindings = scan.findings
        context.podNamespacesScanned = scan.scanned
        context.warnings += attribution.warnings + scan.warnings
    }
}
