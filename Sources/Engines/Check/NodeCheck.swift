public import Conntrack
public import NodeState
public import Policy

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
    /// With `--firewall`: the policy whose firewall answers per protocol and
    /// family. Its node addresses are filled from the rules read (SNAT
    /// addresses; the node's own for masquerade, live) unless given.
    public var firewallPolicy: AuditPolicy?
    /// `--node-address`: the node's translated source addresses, when known.
    public var nodeAddresses: [IPAddress] = []
    /// Judge the rules' possible ports against this NodePort range and
    /// (live) the namespace's listening sockets (`PortOverlap`); nil: not judged.
    public var nodePortRange: ServiceNodePortRange?
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

    /// The note when no pod's ip_local_port_range was read or declared: what
    /// is missing, then how to give it in the caller's words (`hints`; plain
    /// wording names no way).
    public static let assumedPortRangeNote = "pods' ip_local_port_range not read: assuming the kernel default 32768-60999"

    static func assumedPortRangeNote(hints: ReaderHintWording) -> String {
        let how = hints(.podPortRanges)
        return how.isEmpty ? assumedPortRangeNote : assumedPortRangeNote + " (use \(how))"
    }

    public var isOffline: Bool { !iptablesSaveFiles.isEmpty || !nftJSONFiles.isEmpty }

    /// The addresses NAT gives pod traffic: SNAT rules' `--to-source`, and
    /// for masquerade (live) the node's own global addresses outside the pod
    /// networks (masquerade takes the outgoing interface's).
    static func translatedAddresses(_ rules: RuleSet, namespace: NetworkNamespace??, podNetworks: [IPNetwork]) -> [IPAddress] {
        var found = Set<IPAddress>()
        var masquerades = false
        for rule in rules.groups.joined() {
            switch rule.action {
            case .snat(let address):
                // ADDR or ADDR-ADDR: the first address stands for the range.
                if let first = address.split(separator: "-").first.flatMap({ IPAddress(String($0)) }) { found.insert(first) }
            case .masquerade:
                masquerades = true
            }
        }
        if masquerades, let namespace {
            let nonEgress =
                ["127.0.0.0/8", "169.254.0.0/16", "::1/128", "fe80::/10"].compactMap { try? IPNetwork(parsing: $0) } + podNetworks
            for address in NamespaceAddresses.read(namespace) where !nonEgress.contains(where: { $0.contains(address) }) {
                found.insert(address)
            }
        }
        return found.sorted()
    }

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
            notes.append(Self.assumedPortRangeNote(hints: hints))
        }
        // Live: the running kernel decides how remaps spread. Offline: assume a current (>= 6.2) kernel.
        let release = isOffline ? nil : RemapDistribution.runningKernelRelease()
        let offsetSpace = release.map(RemapDistribution.offsetSpace(kernelRelease:)) ?? 1 << 16
        var admissions: ReplyAdmissionTable?
        var nodes = nodeAddresses
        if var policy = firewallPolicy {
            if nodes.isEmpty {
                nodes = Self.translatedAddresses(rules, namespace: isOffline ? nil : .some(namespace), podNetworks: podNetworks)
            }
            policy.nodeAddresses = nodes
            admissions = policy.admissions
            if nodes.isEmpty {
                notes.append(
                    "the node's translated address is not known (masquerade, offline): the firewall was asked for every address it treats differently and the worst answer judged; give --node-address for this node's"
                )
            } else {
                notes.append(
                    "the firewall was asked about the node's translated address(es): " + nodes.map(\.description).joined(separator: ", "))
            }
        }
        var checker = RuleChecker(allowed: allowed, podNetworks: podNetworks, sources: sources, offsetSpace: offsetSpace)
        checker.admissions = admissions
        let findings = checker.check(rules.groups)
        if findings.isEmpty {
            notes.append(
                "no SNAT/MASQUERADE rule found; a CNI that masquerades in eBPF (Cilium, Calico eBPF) is not visible here: use 'ctaudit audit'"
            )
        }
        if let firewall = firewallPolicy?.firewall {
            // "allowed" is what every TCP/UDP reply gets through to: where that came from goes first.
            notes.insert(contentsOf: firewall.checkNotes(hints: hints, nodes: nodes), at: 0)
        }
        let now = SystemClock.wallNanoseconds()
        var report = CheckReport(
            host: SystemClock.hostName(), netns: isOffline ? nil : namespace?.name,
            generatedAt: SystemClock.rfc3339(now, milliseconds: false),
            allowed: allowed, podNetworks: podNetworks, inputs: rules.inputs, sources: sources,
            nodePortRange: nodeRange, findings: findings, notes: notes)
        report.kernelRelease = release
        report.admissions = admissions
        report.nodeAddresses = nodes
        report.remapOffsetBits = offsetSpace == 1 << 16 ? 16 : 32
        if let nodePortRange {
            // Offline there is no node to list sockets of: the range alone is judged.
            var overlap =
                isOffline
                ? PortOverlap(nodePortRange: nodePortRange, listeners: nil)
                : PortOverlap.reading(nodePortRange: nodePortRange, namespace: namespace)
            overlap.judge(findings)
            report.portOverlap = overlap
        }
        report.firewall = firewallPolicy?.firewall
        report.hints = hints
        return report
    }
}
