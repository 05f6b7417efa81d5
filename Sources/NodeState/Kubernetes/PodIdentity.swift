public import Conntrack

/// Which pod a violating flow came from, as far as the node can tell
/// offline. Every field but `ip` may be unknown.
public struct PodIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The pod's address (the flow's original source).
    public var ip: IPAddress
    /// The pod sandbox's container id (host-local IPAM state, or the cgroup
    /// of a process in the pod's namespace).
    public var containerID: String?
    /// The pod's network namespace: its /run/netns name, else /proc/PID/ns/net.
    public var netns: String?
    /// The pod's name and Kubernetes namespace, from the container runtime's
    /// state on the node (containerd/CRI-O sandbox annotations).
    public var name: String?
    public var namespace: String?
    /// The pod's UID (runtime annotations or the kubepods cgroup path).
    public var uid: String?
    /// The host-local IPAM network that handed out the address.
    public var ipamNetwork: String?
    /// Live namespaces that also hold this address when it could not be
    /// pinned to one (labs, or a node with overlapping pod networks).
    public var otherNetns: [String] = []
    /// How each fact was found, e.g. `host-local /var/lib/cni/networks/cbr0/10.42.0.7`.
    public var evidence: [String] = []

    public init(ip: IPAddress) {
        self.ip = ip
    }

    /// Whether anything beyond the address is known.
    public var isOnlyAddress: Bool { containerID == nil && netns == nil && name == nil && uid == nil }

    /// `kube-system/coredns-abc (netns cni-1234)`, or the address when that is all.
    public var description: String {
        var parts: [String] = []
        if let name { parts.append(namespace.map { "\($0)/\(name)" } ?? name) }
        if let netns { parts.append("netns \(netns)") }
        if name == nil, let containerID { parts.append("container \(containerID.prefix(12))") }
        if parts.isEmpty { return "\(ip) (only the IP is known)" }
        let detail = parts.dropFirst().joined(separator: ", ")
        return parts[0] + (detail.isEmpty ? "" : " (\(detail))")
    }
}
