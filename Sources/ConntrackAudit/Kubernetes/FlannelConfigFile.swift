/// Pod networks in flannel's files: `subnet.env` (written by flanneld on
/// every node) and `net-conf.json` (the cluster's flannel configuration).
enum FlannelConfigFile {
    /// `FLANNEL_NETWORK=10.244.0.0/16` (the cluster) and
    /// `FLANNEL_SUBNET=10.244.1.1/24` (this node), and their IPv6 twins.
    static func subnetEnvNetworks(in text: String, file: String) -> [DiscoveredPodNetwork] {
        let keys = ["FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_IPV6_NETWORK", "FLANNEL_IPV6_SUBNET"]
        var found: [DiscoveredPodNetwork] = []
        for line in text.split(whereSeparator: \.isNewline) {
            var trimmed = String(line).trimmingSpaces
            if trimmed.hasPrefix("export ") { trimmed = String(trimmed.dropFirst(7)).trimmingSpaces }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals])
            guard keys.contains(key) else { continue }
            // Dual-stack flannel can list several, comma-separated.
            for value in trimmed[trimmed.index(after: equals)...].split(separator: ",") {
                if let network = DiscoveredPodNetwork.network(String(value)) {
                    found.append(DiscoveredPodNetwork(network: network, kind: .flannelSubnetEnv, file: file, detail: key))
                }
            }
        }
        return found
    }

    /// `{"Network": "10.42.0.0/16", "IPv6Network": "...", "Backend": {...}}`.
    static func netConfNetworks(in text: String, file: String) throws(JSONDocument.ParseError) -> [DiscoveredPodNetwork] {
        let document = try JSONDocument(parsing: text)
        var found: [DiscoveredPodNetwork] = []
        for key in ["Network", "IPv6Network"] {
            if let value = document[key]?.stringValue, let network = DiscoveredPodNetwork.network(value) {
                found.append(DiscoveredPodNetwork(network: network, kind: .flannelNetConf, file: file, detail: key))
            }
        }
        return found
    }
}
