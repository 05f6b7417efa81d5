public import Conntrack
public import Policy

/// Works out the pod networks from what is on the node, with no API server:
/// CNI configs, flannel's files, Calico manifests, kube-proxy's arguments
/// (MicroK8s), and — only when none of those says anything — routes to pod
/// interfaces. Read-only; a broken file becomes a warning, never an error.
public struct PodNetworkDiscovery: Sendable {
    public struct Result: Hashable, Sendable {
        /// Everything found, with where it was found, in search order.
        public var found: [DiscoveredPodNetwork] = []
        /// The networks to audit: `found` without repeats and without
        /// networks inside another one (a node's flannel subnet inside the
        /// cluster network), sorted.
        public var networks: [IPNetwork] = []
        public var warnings: [KubernetesWarning] = []
    }

    /// CNI configuration directories: the standard one, k3s's, MicroK8s'.
    public static let cniConfigDirectories = [
        "/etc/cni/net.d",
        "/var/lib/rancher/k3s/agent/etc/cni/net.d",
        "/var/snap/microk8s/current/args/cni-network",
    ]
    /// flanneld's subnet.env (kubeadm/k3s: /run/flannel; MicroK8s' own copy).
    public static let flannelSubnetEnvFiles = [
        "/run/flannel/subnet.env",
        "/var/lib/rancher/k3s/agent/etc/flannel/subnet.env",
        "/var/snap/microk8s/common/run/flannel/subnet.env",
    ]
    /// flannel's net-conf.json (k3s writes the cluster's under /var/lib/rancher).
    public static let flannelNetConfFiles = [
        "/var/lib/rancher/k3s/agent/etc/flannel/net-conf.json",
        "/etc/kube-flannel/net-conf.json",
    ]
    /// Directories that may hold Calico manifests (IPPool resources, calico-node settings).
    public static let calicoManifestDirectories = [
        "/etc/calico",
        "/var/snap/microk8s/current/args/cni-network",
    ]
    public static let kubeProxyArgumentFiles = ["/var/snap/microk8s/current/args/kube-proxy"]

    public var root: NodeRoot
    /// The namespace whose routes are the node's (the audited one, on the
    /// live host); nil: the tree's own `proc/net/route` and
    /// `proc/net/ipv6_route` (ctaudit's namespace on the host, the copy's
    /// files in a copied tree).
    public var routesNamespace: NetworkNamespace?

    public init(root: NodeRoot = .host, routesNamespace: NetworkNamespace? = nil) {
        self.root = root
        self.routesNamespace = routesNamespace
    }

    public func discover() -> Result {
        var result = Result()
        for directory in Self.cniConfigDirectories {
            for name in root.list(directory) where CNIConfigFile.isConfig(name) {
                readFile("\(directory)/\(name)", into: &result) { text, file throws(JSONDocument.ParseError) in
                    try CNIConfigFile.networks(in: text, file: file)
                }
            }
        }
        for file in Self.flannelSubnetEnvFiles {
            var problems: [KubernetesWarning] = []
            readFile(file, into: &result) { text, file in
                var lines: [String] = []
                defer { problems += lines.map { KubernetesWarning(subject: file, message: $0) } }
                return FlannelConfigFile.subnetEnvNetworks(in: text, file: file, problems: &lines)
            }
            result.warnings += problems
        }
        for file in Self.flannelNetConfFiles {
            readFile(file, into: &result) { text, file throws(JSONDocument.ParseError) in
                try FlannelConfigFile.netConfNetworks(in: text, file: file)
            }
        }
        for directory in Self.calicoManifestDirectories {
            for name in root.list(directory) where CalicoPoolFile.isManifest(name) {
                // In MicroK8s' CNI directory the .json files are CNI configs, read above.
                if directory != "/etc/calico" && name.hasSuffix(".json") { continue }
                readFile("\(directory)/\(name)", into: &result) { text, file throws(CalicoPoolFile.ParseError) in
                    try CalicoPoolFile.networks(in: text, file: file)
                }
            }
        }
        for file in Self.kubeProxyArgumentFiles {
            readFile(file, into: &result) { text, file in KubeProxyArgumentsFile.networks(in: text, file: file) }
        }
        if result.found.isEmpty {
            result.found = routeNetworks(warnings: &result.warnings)
        }
        result.networks = Self.outermost(result.found.map(\.network))
        return result
    }

    /// Reads one node file if it exists and hands its text to `parse`;
    /// a parse failure becomes a warning naming the file.
    private func readFile<Failure: Error>(
        _ nodePath: String, into result: inout Result,
        _ parse: (String, String) throws(Failure) -> [DiscoveredPodNetwork]
    ) {
        guard root.exists(nodePath) else { return }
        let file = root.path(nodePath)
        guard !NodeFiles.isDirectory(file) else { return }
        let text: String
        do {
            text = try root.read(nodePath)
        } catch {
            result.warnings.append(KubernetesWarning(subject: file, message: "\(error.reason); skipped"))
            return
        }
        do {
            result.found += try parse(text, file)
        } catch {
            result.warnings.append(KubernetesWarning(subject: file, message: "\(error); skipped"))
        }
    }

    private func routeNetworks(warnings: inout [KubernetesWarning]) -> [DiscoveredPodNetwork] {
        var found: [DiscoveredPodNetwork] = []
        for (file, parse) in [("/proc/net/route", RouteTable.ipv4Routes), ("/proc/net/ipv6_route", RouteTable.ipv6Routes)] {
            let text: String?
            var shown = root.path(file)
            if let namespace = routesNamespace {
                // /proc/thread-self/net is the namespace the reading thread is in.
                let inside = file.replacingPrefix("/proc/net/", with: "/proc/thread-self/net/")
                shown = "\(file) in netns \(namespace.name)"
                do {
                    text = try NamespaceSysctl.read(inside, in: namespace)
                } catch {
                    warnings.append(KubernetesWarning(subject: shown, message: "\(error); routes not used"))
                    continue
                }
            } else {
                text = try? root.read(file, limit: .kernelFile)
            }
            guard let text else { continue }
            for route in parse(text) where RouteTable.isPodDevice(route.device) {
                found.append(
                    DiscoveredPodNetwork(
                        network: route.network, kind: .route, file: shown,
                        detail: "dev \(route.device)"))
            }
        }
        return found
    }

    /// The networks not inside another one, without repeats, sorted.
    public static func outermost(_ networks: [IPNetwork]) -> [IPNetwork] {
        let unique = Array(Set(networks))
        return unique.filter { network in
            !unique.contains { other in
                other != network && other.prefixLength <= network.prefixLength && other.contains(network.address)
            }
        }.sorted { ($0.address, $0.prefixLength) < ($1.address, $1.prefixLength) }
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
