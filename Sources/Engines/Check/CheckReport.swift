public import Conntrack
public import NodeState
public import Policy

/// Everything one `check` read and concluded, ready for a writer.
public struct CheckReport: Sendable {
    public var host: String
    /// The namespace whose rules were read, as the user named it; nil for
    /// ctaudit's own, or when everything came from files.
    public var netns: String?
    public var generatedAt: String
    public var allowed: PortRangeSet
    public var podNetworks: [IPNetwork]
    /// What was read: commands run or files given.
    public var inputs: [String]
    /// The original source-port ranges the prediction used.
    public var sources: [PortSource]
    /// The node's own `ip_local_port_range`, when read live.
    public var nodePortRange: PortRange?
    /// In evaluation order.
    public var findings: [RuleFinding]
    /// Things the reader could not see or had to assume.
    public var notes: [String]
    /// The kernel whose port choice the prediction models (nil: offline, a current kernel assumed).
    public var kernelRelease: String?
    /// Bits of the kernel's random remap offset: 16 from Linux 6.2 on, else 32.
    public var remapOffsetBits: Int = 16
    /// BPF dataplanes found (Cilium BPF masquerading, Calico eBPF) and their
    /// predicted ports (docs/DATAPLANES.md).
    public var dataplanes: [DataplaneFinding] = []
    /// With `--firewall`: its answers per protocol and family, for `nodeAddresses`.
    public var admissions: ReplyAdmissionTable?
    /// The node's translated source addresses the firewall was asked about
    /// (SNAT rules' addresses, the node's own for masquerade, `--node-address`).
    public var nodeAddresses: [IPAddress] = []
    /// Rules that can translate onto the NodePort range or a listening
    /// socket's port: its own finding, not part of `verdict`; nil when not judged.
    public var portOverlap: PortOverlap?

    public init(
        host: String, netns: String?, generatedAt: String, allowed: PortRangeSet, podNetworks: [IPNetwork],
        inputs: [String], sources: [PortSource], nodePortRange: PortRange?, findings: [RuleFinding], notes: [String]
    ) {
        self.host = host
        self.netns = netns
        self.generatedAt = generatedAt
        self.allowed = allowed
        self.podNetworks = podNetworks
        self.inputs = inputs
        self.sources = sources
        self.nodePortRange = nodePortRange
        self.findings = findings
        self.notes = notes
    }

    /// The worst verdict of the rules pod traffic can reach.
    public var verdict: RuleVerdict {
        // (RuleVerdict orders safe < uncertain < at risk < broken.)
        (findings.filter(\.inScope).map(\.verdict) + dataplanes.map(\.verdict)).max() ?? .safe
    }

    /// The upstream firewall's own definition (`--firewall`): the fix then
    /// names its rule to widen.
    public var firewall: FirewallPolicy?
    /// How the fixes name what the reader can give (the CLI: its flags).
    public var hints = ReaderHintWording.plain

    /// The fixes, from the one remedy engine `audit` and `watch` use too.
    public var remedies: [Remedy] { NodeRemedies(check: self).remedies }

    /// The fixes as reports print them.
    public var remedyAdvice: RemedyAdvice { RemedyAdvice(remedies, ruleTools: NodeNATRules.tools(findings.filter(\.inScope))) }

    /// `32768-65535`, or with `--firewall` answering protocols differently,
    /// `the ports the firewall admits (tcp/ipv4 1024-65535; udp/ipv4 ...)`. Never empty.
    public var allowedWords: String {
        guard let admissions else { return allowed.isEmpty ? "no port" : allowed.description }
        if admissions.isUniform, let first = admissions.summarized.first { return first.words }
        return "the ports the firewall admits (" + admissions.summarized.map(\.summary).joined(separator: "; ") + ")"
    }
}
