import Policy

/// Pod networks in Calico manifests kept on a node: `IPPool` resources
/// (`projectcalico.org/v3` or `crd.projectcalico.org/v1`, YAML or JSON,
/// several documents per file) and the `CALICO_IPV4POOL_CIDR` /
/// `CALICO_IPV6POOL_CIDR` settings of a calico-node manifest (MicroK8s ships
/// one as args/cni-network/cni.yaml).
enum CalicoPoolFile {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func isManifest(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json"))
    }

    static func networks(in text: String, file: String) throws(ParseError) -> [DiscoveredPodNetwork] {
        var found: [DiscoveredPodNetwork] = []
        do {
            for document in try StrictYAML.parseDocuments(text) { collect(document, file: file, into: &found) }
        } catch {
            throw ParseError(description: "invalid YAML: \(error)")
        }
        return found
    }

    private static func collect(_ document: StrictYAML.Node, file: String, into found: inout [DiscoveredPodNetwork]) {
        if document["kind"]?.string == "IPPool", let spec = document["spec"],
            let cidr = spec["cidr"]?.string, spec["disabled"]?.bool != true,
            let network = DiscoveredPodNetwork.network(cidr)
        {
            let name = document["metadata"]?["name"]?.string
            found.append(
                DiscoveredPodNetwork(
                    network: network, kind: .calicoIPPool, file: file,
                    detail: "IPPool" + (name.map { " \($0)" } ?? "")))
        }
        walk(document) { node in
            guard let name = node["name"]?.string,
                name == "CALICO_IPV4POOL_CIDR" || name == "CALICO_IPV6POOL_CIDR",
                let value = node["value"]?.string, let network = DiscoveredPodNetwork.network(value)
            else { return }
            found.append(DiscoveredPodNetwork(network: network, kind: .calicoIPPool, file: file, detail: name))
        }
    }

    private static func walk(_ node: StrictYAML.Node, depth: Int = 0, _ visit: (StrictYAML.Node) -> Void) {
        guard depth < 64 else { return }
        visit(node)
        if let mapping = node.mapping {
            for entry in mapping { walk(entry.value, depth: depth + 1, visit) }
        } else if let sequence = node.sequence {
            for item in sequence { walk(item, depth: depth + 1, visit) }
        }
    }
}
