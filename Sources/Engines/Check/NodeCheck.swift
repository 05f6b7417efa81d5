public import Conntrack
public import Policy
import NodeState

/// One `ctaudit check`: where the rules and the port ranges come from, and
/// the policy to judge them by. Reading is read-only throughout.
public struct NodeCheck: Sendable {
    public var allowed: PortRangeSet
    public var podNetworks: [IPNetwork]
    /// Live: the namespace whose rules and sysctl are read (nil: own).
    public var namespace: NetworkNamespace?
    /// Offline rule files; when any is given nothing live is read.
    public var iptablesSaveFiles: [String]
    public var nftJSONFiles: [String]
    /// `--port-range`: the pods' declared ip_local_port_range values.
    public var declaredPortRanges: [PortRange]
    /// `--pods`: read every namespace's ip_local_port_range.
    public var scanNamespaces: Bool
    /// How declared port ranges and rule files are named: the caller's words.
    public var hints = ReaderHintWording.plain

    public init(
        allowed: PortRangeSet, podNetworks: [IPNetwork] = [], namespace: NetworkNamespace? = nil,
        iptablesSaveFiles: [String] = [], nftJSONFiles: [String] = [], declaredPortRanges: [PortRange] = [],
        scanNamespaces: Bool = false
    ) {
        self.allowed = allowed
        self.podNetworks = podNetworks
        self.namespace = namespace
        self.iptablesSaveFiles = iptablesSaveFiles
        self.nftJSONFiles = nftJSONFiles
        self.declaredPortRanges = declaredPortRanges
        self.scanNamespaces = scanNamespaces
    }

    /// The note when no pod's ip_local_port_range was read or declared. Says
    /// what is missing; the caller adds how to give it (the CLI: its flags).
    public static let assumedPortRangeNote = "pods' ip_local_port_range not read: assuming the kernel default 32768-60999"

    public var isOffline: Bool { !iptablesSaveFiles.isEmpty || !nftJSONFiles.isEmpty }

    public func run() throws -> CheckReport {
        var notes: [String] = []
        var nodeRange: PortRange?
        let rules: RuleSet
        if isOffline {
            rules = try RuleSetReader.load(iptablesSave: iptablesSaveFiles, nftJSON: nftJSONFiles, hints: hints)
        } else {
            // Entering the namespace first gives the clearest error when it is missing or forbidden.
            let (low, high) = try NamespaceSysctl.localPortRange(in: namespace)
            nodeRange = PortRange(low: low, high: high)
            var reader = RuleSetReader(namespace: namespace)
            reader.hints = hints
            rules = try reader.read()
        }
        notes += rules.notes

        var sources = declaredPortRanges.map { PortSource(range: $0, origin: .declared, users: [hints(.declaredPortRanges)]) }
        if scanNamespaces {
            let found = NamespaceEnumerator.all(node: namespace)
            let (scanned, skipped) = NamespaceEnumerator.portSources(found)
            sources += scanned
            if skipped > 0 { notes.append("\(skipped) namespace(s) could not be read (gone, or no permission)") }
        }
        if sources.isEmpty {
            sources = [.assumedPods]
            notes.append(Self.assumedPortRangeNote)
        }
        // Live: the running kernel decides how remaps spread. Offline: assume a current (>= 6.2) kernel.
        let release = isOffline ? nil : RemapDistribution.runningKernelRelease()
        let offsetSpace = release.map(RemapDistribution.offsetSpace(kernelRelease:)) ?? 1 << 16
        let checker = RuleChecker(allowed: allowed, podNetworks: podNetworks, sources: sources, offsetSpace: offsetSpace)
        let findings = checker.check(rules.groups)
        if findings.isEmpty {
            notes.append("no SNAT/MASQUERADE rule found; a CNI that masquerades in eBPF (Cilium, Calico eBPF) is not visible here: use 'ctaudit audit'")
        }
        let now = SystemClock.wallNanoseconds()
        var report = CheckReport(
            host: SystemClock.hostName(), netns: isOffline ? nil : namespace?.name,
            generatedAt: SystemClock.rfc3339(now, milliseconds: false),
            allowed: allowed, podNetworks: podNetworks, inputs: rules.inputs, sources: sources,
            nodePortRange: nodeRange, findings: findings, notes: notes)
        report.kernelRelease = release
        report.remapOffsetBits = offsetSpace == 1 << 16 ? 16 : 32
        return report
    }
}
