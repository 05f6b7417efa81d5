/// One way to make the violations go away, with the exact syntax to apply it.
public struct Remedy: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Allow replies to the ports NAT actually uses, upstream.
        case widenFirewall = "widen-firewall"
        /// Pin masquerade/SNAT to a port range the firewall allows.
        case pinNATRange = "pin-nat-range"
        /// Calico writes its own rules: set FelixConfiguration natPortRange.
        case calicoNATPortRange = "calico-nat-port-range"
        /// Pods keep their own low ports: move their ephemeral range.
        case podPortRange = "pod-port-range"
    }

    public var kind: Kind
    public var summary: String
    public var commands: [String]

    public init(kind: Kind, summary: String, commands: [String]) {
        self.kind = kind
        self.summary = summary
        self.commands = commands
    }

    /// The remedies that fit what the report found; empty when it is clean.
    public static func advise(for report: AuditReport) -> [Remedy] {
        guard report.summary.violations > 0 else { return [] }
        var remedies: [Remedy] = []
        let allowed = report.policy.allowed
        // Counted, not filtered: a filtered copy of 30 000 violations is ~6 MB.
        let remappedCount = report.violations.reduce(0) { $0 + ($1.isRemapped ? 1 : 0) }
        let keptCount = report.violations.count - remappedCount
        let pods = report.policy.podNetworks
        let lowest = report.violations.lazy.map(\.translatedPort).min() ?? 1024

        if let pin = allowed.widest, remappedCount > 0 {
            let range = "\(pin.low)-\(pin.high)"
            let v4Source = pods.first { $0.address.family == .ipv4 }.map { "-s \($0) " } ?? "-s POD_CIDR "
            let v6Source = pods.first { $0.address.family == .ipv6 }.map { "-s \($0) " } ?? "-s POD_CIDR6 "
            remedies.append(Remedy(
                kind: .pinNATRange,
                summary: "masquerade remapped \(remappedCount) flow(s) to ports outside \(allowed): pin the NAT port range to \(range) (ports need -p tcp/-p udp)",
                commands: [
                    "iptables -t nat -A POSTROUTING \(v4Source)-p tcp -j MASQUERADE --to-ports \(range)",
                    "iptables -t nat -A POSTROUTING \(v4Source)-p udp -j MASQUERADE --to-ports \(range)",
                    "ip6tables -t nat -A POSTROUTING \(v6Source)-p tcp -j MASQUERADE --to-ports \(range)",
                    "ip6tables -t nat -A POSTROUTING \(v6Source)-p udp -j MASQUERADE --to-ports \(range)",
                    "nft add rule inet nat postrouting meta l4proto { tcp, udp } masquerade to :\(range)",
                    "calico: set natPortRange: \(pin.low):\(pin.high) in FelixConfiguration",
                ]
            ))
        }
        if let range = allowed.widest, keptCount > 0 {
            // Stay below 61000 like the Linux default so pods and the host's
            // own ephemeral users do not crowd the top of the range.
            let high = range.high > 60999 && range.low < 60999 ? 60999 : range.high
            remedies.append(Remedy(
                kind: .podPortRange,
                summary: "\(keptCount) flow(s) kept the pod's own port outside \(allowed): the pods' net.ipv4.ip_local_port_range is too low",
                commands: [
                    "sysctl -w net.ipv4.ip_local_port_range=\"\(range.low) \(high)\"   # inside the pod's network namespace",
                    "pod spec: securityContext.sysctls: [{name: net.ipv4.ip_local_port_range, value: \"\(range.low) \(high)\"}]",
                ]
            ))
        }
        // Masquerade picks from 1024-65535 unless a pod port below 1024 is kept.
        let widenFrom = min(lowest, 1024)
        remedies.append(Remedy(
            kind: .widenFirewall,
            summary: "or widen the upstream firewall rule that allows replies from \(allowed) to \(widenFrom)-65535 (the ports masquerade and these pods use)",
            commands: []
        ))
        return remedies
    }
}
