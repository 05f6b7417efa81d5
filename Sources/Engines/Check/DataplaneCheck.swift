import Conntrack
import Glibc
public import NodeState
public import Policy

/// `check` for the BPF dataplanes: detects Cilium's BPF masquerading and
/// Calico's eBPF dataplane (pinned maps under the bpffs, or their exported
/// config), predicts the source ports they can give, and prints the
/// configuration change that keeps them inside the allowed ranges.
public struct DataplaneCheck: Sendable {
    public var allowed: PortRangeSet
    /// The bpffs to look for pinned maps in; nil: config files only.
    public var bpffs: String?
    public var config: DataplaneConfig
    /// The node's ip_local_port_range (Calico's PSNAT range is best kept out of it).
    public var nodePortRange: PortRange?

    /// Cilium's default NodePort range (and so masquerade range 32768-65535).
    public static let ciliumDefaultNodePortRange = PortRange(low: 30000, high: 32767)!
    /// Calico's default BPFPSNATPorts.
    public static let calicoDefaultPSNATPorts = PortRange(low: 20000, high: 29999)!
    /// Linux's default ip_local_port_range.
    static let linuxEphemeral = PortRange(low: 32768, high: 60999)!

    public init(allowed: PortRangeSet, bpffs: String?, config: DataplaneConfig, nodePortRange: PortRange? = nil) {
        self.allowed = allowed
        self.bpffs = bpffs
        self.config = config
        self.nodePortRange = nodePortRange
    }

    public func run() -> [DataplaneFinding] {
        var findings: [DataplaneFinding] = []
        let pinned = bpffs.map { BPFDataplaneReader(bpffs: $0).globals }
        let names = pinned.map(NodeFiles.list) ?? []

        var cilium: [String] = []
        if let pinned {
            cilium = names.filter { $0 == "cilium_snat_v4_external" || $0 == "cilium_snat_v6_external" }
                .map { "\(pinned)/\($0)" }
        }
        if config.ciliumBPFMasquerade == true { cilium.append("enable-bpf-masquerade: true in cilium-config") }
        if !cilium.isEmpty { findings.append(ciliumFinding(detectedBy: cilium)) }

        var calico: [String] = []
        if let pinned {
            calico = names.filter { CalicoConntrackLayout.parse(pinnedName: $0) != nil }.map { "\(pinned)/\($0)" }
        }
        if config.calicoBPFEnabled == true { calico.append("bpfEnabled: true in FelixConfiguration") }
        if !calico.isEmpty { findings.append(calicoFinding(detectedBy: calico)) }
        return findings
    }

    /// Cilium translates into NODEPORT_PORT_MIN_NAT..65535, NodePort max + 1
    /// to 65535, keeping the pod's own port when it is inside that range.
    func ciliumFinding(detectedBy: [String]) -> DataplaneFinding {
        let ports: PortRange
        let from: String
        let nodePorts = config.ciliumNodePortRange ?? Self.ciliumDefaultNodePortRange
        if let masquerade = config.ciliumMasqueradeRange, let source = config.ciliumMasqueradeRangeFrom {
            (ports, from) = (masquerade, source)
        } else {
            let low = nodePorts.high == UInt16.max ? UInt16.max : nodePorts.high + 1
            ports = PortRange(low: low, high: UInt16.max)!
            from =
                (config.ciliumNodePortRangeFrom.map { "NodePort range from \($0)" }
                    ?? "Cilium's default NodePort range 30000-32767") + ": NodePort max + 1 to 65535"
        }
        let outside = PortRangeSet(ports).subtracting(allowed)
        let verdict = Self.verdict(ports: ports, outside: outside)
        var fix: String?
        var commands: [String] = []
        if verdict != .safe {
            // The top of the range is fixed at 65535: only the NodePort range moves it.
            if let top = allowed.ranges.first(where: { $0.high == UInt16.max }), top.low > 1 {
                let newMax = top.low - 1
                let newMin = min(nodePorts.low, newMax)
                fix =
                    "set Cilium's NodePort range to \(newMin)-\(newMax) so that it masquerades into \(top.low)-65535 "
                    + "(kube-apiserver --service-node-port-range must match; NodePort services outside it need new ports)"
                commands = [
                    "helm upgrade cilium cilium/cilium -n kube-system --reuse-values --set nodePort.range=\"\(newMin)\\,\(newMax)\"",
                    "# or: kubectl -n kube-system patch configmap cilium-config --type merge -p '{\"data\":{\"node-port-range\":\"\(newMin),\(newMax)\"}}' && kubectl -n kube-system rollout restart daemonset/cilium",
                ]
            } else {
                fix =
                    "no NodePort range keeps Cilium inside \(allowed) (its masquerade range always ends at 65535): "
                    + "allow \(ports) upstream, or turn BPF masquerading off (enable-bpf-masquerade: false) so that iptables masquerades and ctaudit audits it in conntrack"
                commands = ["helm upgrade cilium cilium/cilium -n kube-system --reuse-values --set bpf.masquerade=false"]
            }
        }
        return DataplaneFinding(
            dataplane: .cilium, detectedBy: detectedBy, ports: ports, portsFrom: from, verdict: verdict,
            outside: outside,
            explanation: verdict == .safe
                ? "BPF masquerading translates into \(ports), inside the allowed ports"
                : "BPF masquerading keeps a pod's port inside \(ports) and otherwise picks one there, \(outside) of which the upstream firewall drops",
            fix: fix, fixCommands: commands)
    }

    /// Calico moves colliding host source ports into BPFPSNATPorts.
    func calicoFinding(detectedBy: [String]) -> DataplaneFinding {
        let ports = config.calicoPSNATPorts ?? Self.calicoDefaultPSNATPorts
        let from = config.calicoPSNATPortsFrom ?? "Calico's default BPFPSNATPorts 20000:29999"
        let outside = PortRangeSet(ports).subtracting(allowed)
        // Only colliding connections are moved: at risk at worst.
        let verdict: RuleVerdict = outside.isEmpty ? .safe : .atRisk
        var fix: String?
        var commands: [String] = []
        if verdict != .safe {
            // Best outside the node's own ephemeral range, so that a moved
            // port does not collide with the next connect() again.
            let ephemeral = PortRangeSet(nodePortRange ?? Self.linuxEphemeral)
            let target = allowed.subtracting(ephemeral).widest ?? allowed.widest
            if let target {
                fix =
                    "set Calico's BPFPSNATPorts to \(target.low):\(target.high), inside the allowed ports"
                    + (allowed.subtracting(ephemeral).isEmpty ? "" : " and outside the node's ephemeral range")
                commands = [
                    "kubectl patch felixconfiguration default --type merge -p '{\"spec\":{\"bpfPSNATPorts\":\"\(target.low):\(target.high)\"}}'"
                ]
            }
        }
        return DataplaneFinding(
            dataplane: .calico, detectedBy: detectedBy, ports: ports, portsFrom: from, verdict: verdict,
            outside: outside,
            explanation: verdict == .safe
                ? "host connections whose source port collides are moved into \(ports), inside the allowed ports"
                : "host connections whose source port collides are moved into \(ports), \(outside) of which the upstream firewall drops",
            fix: fix, fixCommands: commands)
    }

    /// Cilium: at risk when part of the range is dropped (pods keep their
    /// port when it is inside the range; clashes get a random one), broken
    /// when all of it is.
    static func verdict(ports: PortRange, outside: PortRangeSet) -> RuleVerdict {
        if outside.isEmpty { return .safe }
        return outside.count == ports.count ? .broken : .atRisk
    }
}
