/// `--cluster-cidr` in a kube-proxy arguments file (one flag per line, as
/// MicroK8s keeps them in /var/snap/microk8s/current/args/kube-proxy).
enum KubeProxyArgumentsFile {
    static func networks(in text: String, file: String) -> [DiscoveredPodNetwork] {
        var found: [DiscoveredPodNetwork] = []
        for token in text.split(whereSeparator: { $0.isNewline || $0 == " " }) {
            guard token.hasPrefix("--cluster-cidr=") else { continue }
            for value in token.dropFirst("--cluster-cidr=".count).split(separator: ",") {
                if let network = DiscoveredPodNetwork.network(String(value)) {
                    found.append(
                        DiscoveredPodNetwork(
                            network: network, kind: .kubeProxyArguments, file: file,
                            detail: "--cluster-cidr"))
                }
            }
        }
        return found
    }
}
