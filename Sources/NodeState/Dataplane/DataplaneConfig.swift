public import Policy

/// The port settings of the BPF dataplanes, read from their exported
/// configuration (`kubectl -n kube-system get configmap cilium-config -o yaml`,
/// `kubectl get felixconfiguration default -o yaml`, several documents or a
/// List per file) or from the files Cilium leaves on the node.
public struct DataplaneConfig: Hashable, Sendable {
    /// Cilium's NodePort range (`node-port-range`, "30000,32767").
    public var ciliumNodePortRange: PortRange?
    /// Where it came from (file and key).
    public var ciliumNodePortRangeFrom: String?
    /// Cilium's own masquerade range from node_config.h (NODEPORT_PORT_MIN_NAT..MAX_NAT).
    public var ciliumMasqueradeRange: PortRange?
    public var ciliumMasqueradeRangeFrom: String?
    /// `enable-bpf-masquerade`, when the config says.
    public var ciliumBPFMasquerade: Bool?
    /// Calico's `bpfPSNATPorts` ("20000:29999").
    public var calicoPSNATPorts: PortRange?
    public var calicoPSNATPortsFrom: String?
    /// Calico's `bpfEnabled`, when the config says.
    public var calicoBPFEnabled: Bool?

    public init() {}

    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads one exported YAML/JSON file (any mix of cilium-config and FelixConfiguration documents).
    public mutating func read(yaml text: String, file: String) throws(ParseError) {
        let documents: [StrictYAML.Node]
        do {
            documents = try StrictYAML.parseDocuments(text)
        } catch {
            throw ParseError(description: "\(file): invalid YAML: \(error)")
        }
        for document in documents { try collect(document, file: file) }
    }

    private mutating func collect(_ node: StrictYAML.Node, file: String) throws(ParseError) {
        if let items = node["items"]?.sequence {
            for item in items { try collect(item, file: file) }
            return
        }
        switch node["kind"]?.string {
        case "ConfigMap":
            guard let data = node["data"] else { return }
            if let text = data["node-port-range"]?.string {
                ciliumNodePortRange = try Self.range(text, file: file, key: "node-port-range")
                ciliumNodePortRangeFrom = "\(file) (node-port-range)"
            }
            if let text = data["enable-bpf-masquerade"]?.string { ciliumBPFMasquerade = text == "true" }
        case "FelixConfiguration":
            guard let spec = node["spec"] else { return }
            if let text = spec["bpfPSNATPorts"]?.string ?? spec["bpfPSNATPorts"]?.int.map(String.init) {
                calicoPSNATPorts = try Self.range(text, file: file, key: "bpfPSNATPorts")
                calicoPSNATPortsFrom = "\(file) (bpfPSNATPorts)"
            }
            if let enabled = spec["bpfEnabled"]?.bool { calicoBPFEnabled = enabled }
        default:
            return
        }
    }

    /// Reads `#define NODEPORT_PORT_MIN_NAT` / `MAX_NAT` from Cilium's node_config.h.
    public mutating func read(nodeConfigHeader text: String, file: String) {
        var low: UInt16?
        var high: UInt16?
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 3, words[0] == "#define" else { continue }
            if words[1] == "NODEPORT_PORT_MIN_NAT" { low = UInt16(words[2]) }
            if words[1] == "NODEPORT_PORT_MAX_NAT" { high = UInt16(words[2]) }
        }
        if let low, let high, let range = PortRange(low: low, high: high) {
            ciliumMasqueradeRange = range
            ciliumMasqueradeRangeFrom = "\(file) (NODEPORT_PORT_MIN_NAT..NODEPORT_PORT_MAX_NAT)"
        }
    }

    /// "30000,32767", "30000-32767" or "20000:29999".
    static func range(_ text: String, file: String, key: String) throws(ParseError) -> PortRange {
        let parts = text.filter { $0 != " " && $0 != "\t" }.split(whereSeparator: { $0 == "," || $0 == "-" || $0 == ":" })
        guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]),
            let range = PortRange(low: low, high: high)
        else { throw ParseError(description: "\(file): \(key) '\(text)' is not a port range LOW,HIGH") }
        return range
    }
}
