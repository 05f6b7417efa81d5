import Conntrack
public import Policy

/// A pod network found on the node, and where it was found.
public struct DiscoveredPodNetwork: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// `subnet`/`ranges` of host-local IPAM (or calico-ipam pools) in a CNI config.
        case cniConfig = "cni-config"
        /// FLANNEL_NETWORK/FLANNEL_SUBNET (and IPv6) in flannel's subnet.env.
        case flannelSubnetEnv = "flannel-subnet-env"
        /// `Network`/`IPv6Network` in flannel's net-conf.json (k3s keeps one under /var/lib/rancher).
        case flannelNetConf = "flannel-net-conf"
        /// A Calico IPPool manifest, or CALICO_IPV4POOL_CIDR/CALICO_IPV6POOL_CIDR in one.
        case calicoIPPool = "calico-ippool"
        /// `--cluster-cidr` in kube-proxy's arguments file (MicroK8s).
        case kubeProxyArguments = "kube-proxy-args"
        /// A route to a pod interface (cni0, cali*, flannel.1, veth*, ...): the last resort.
        case route = "route"
    }

    public var network: IPNetwork
    public var kind: Kind
    /// The node path it was read from, e.g. `/etc/cni/net.d/10-flannel.conflist`.
    public var file: String
    /// What in the file: a key, a pool name, a route's device.
    public var detail: String?

    public init(network: IPNetwork, kind: Kind, file: String, detail: String? = nil) {
        self.network = network
        self.kind = kind
        self.file = file
        self.detail = detail
    }

    public var description: String {
        "\(network) from \(file)" + (detail.map { " (\($0))" } ?? "")
    }

    /// Parses a CIDR as configuration files write it, where host bits are
    /// common (`FLANNEL_SUBNET=10.244.1.1/24` is the node's gateway address):
    /// they are masked off rather than rejected.
    static func network(_ text: String) -> IPNetwork? {
        let trimmed = text.trimmingSpaces.trimmingQuotes
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
            parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefix = Int(parts[1]),
            prefix <= address.family.bitCount,
            // k3s writes "IPv6Network": "::/0" when IPv6 is off; /0 is never a pod network.
            prefix > 0
        else { return nil }
        return IPNetwork(unchecked: address, prefixLength: prefix)
    }
}

/// Where an audit's pod networks came from.
public enum PodCIDRsSource: String, Hashable, Sendable {
    /// Given: `--pod-cidr` or the config file's `pod_cidrs`.
    case configured
    /// Found on the node (see `AuditReport.kubernetes.discoveredNetworks`).
    case discovered
    /// Neither: every source-NATed flow was audited.
    case none
}

extension String {
    var trimmingQuotes: String {
        var text = Substring(self)
        while let first = text.first, first == "\"" || first == "'" { text = text.dropFirst() }
        while let last = text.last, last == "\"" || last == "'" { text = text.dropLast() }
        return String(text)
    }
}
