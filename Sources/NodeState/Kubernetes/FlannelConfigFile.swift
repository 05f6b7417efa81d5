/// Pod networks in flannel's files: `subnet.env` (written by flanneld on
/// every node) and `net-conf.json` (the cluster's flannel configuration).
enum FlannelConfigFile {
    /// `FLANNEL_NETWORK=10.244.0.0/16` (the cluster) and
    /// `FLANNEL_SUBNET=10.244.1.1/24` (this node), and their IPv6 twins.
    /// `problems` gets a line for each value that is not a CIDR; the other
    /// lines still count (one garbled key must not hide the node's subnet).
    static func subnetEnvNetworks(in text: String, file: String, problems: inout [String]) -> [DiscoveredPodNetwork] {
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
                } else if !isUnset(String(value)) {
                    problems.append("\(key)=\(value.trimmingSpaces) is not a CIDR; that value is skipped")
                }
            }
        }
        return found
    }

    /// An empty value or a /0 (how IPv6-less setups write "none"): nothing to warn about.
    private static func isUnset(_ text: String) -> Bool {
        let value = text.trimmingSpaces.trimmingQuotes
        return value.isEmpty || value.hasSuffix("/0")
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
