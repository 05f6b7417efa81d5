/// Pod networks in one CNI network configuration (`*.conflist`, `*.conf`).
///
/// Every object with an `ipam` member is looked at, wherever it is nested
/// (`plugins[]`, flannel's `delegate`, multus' `delegates[]`):
/// host-local `subnet` and `ranges: [[{subnet}]]`, and calico-ipam
/// `ipv4_pools`/`ipv6_pools` when they are CIDRs.
enum CNIConfigFile {
    /// File names CNI itself loads (libcni: .conf, .conflist, .json).
    static func isConfig(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".conflist") || name.hasSuffix(".conf") || name.hasSuffix(".json"))
    }

    static func networks(in text: String, file: String) throws(JSONDocument.ParseError) -> [DiscoveredPodNetwork] {
        let document = try JSONDocument(parsing: text)
        let name = document["name"]?.stringValue
        var found: [DiscoveredPodNetwork] = []
        func add(_ text: String, _ key: String) {
            guard let network = DiscoveredPodNetwork.network(text) else { return }
            let detail = (name.map { "network \($0), " } ?? "") + key
            found.append(DiscoveredPodNetwork(network: network, kind: .cniConfig, file: file, detail: detail))
        }
        document.walk { node in
            guard let ipam = node["ipam"] else { return }
            if let subnet = ipam["subnet"]?.stringValue { add(subnet, "ipam.subnet") }
            for set in ipam["ranges"]?.arrayValue ?? [] {
                for range in set.arrayValue {
                    if let subnet = range["subnet"]?.stringValue { add(subnet, "ipam.ranges") }
                }
            }
            for key in ["ipv4_pools", "ipv6_pools"] {
                for pool in ipam[key]?.arrayValue ?? [] {
                    if let text = pool.stringValue { add(text, "ipam.\(key)") }
                }
            }
        }
        return found
    }
}
