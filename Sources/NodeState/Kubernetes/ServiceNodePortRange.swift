public import Policy

/// The node's Kubernetes NodePort range (the API server's
/// `--service-node-port-range`), and where it was read. kube-proxy opens and
/// DNATs these ports on every node, so a translated source port inside it
/// shares a port with a Service (docs/AUDIT.md, "NodePort and listener overlap").
public struct ServiceNodePortRange: Hashable, Sendable, CustomStringConvertible {
    public var range: PortRange
    /// The node file it was read from; nil: the Kubernetes default was assumed.
    public var file: String?
    /// Other values found in files after `file` (they disagree), or files whose value could not be read.
    public var warnings: [KubernetesWarning] = []

    public init(range: PortRange, file: String? = nil) {
        self.range = range
        self.file = file
    }

    /// Kubernetes' default when nothing on the node says otherwise.
    public static let kubernetesDefault = ServiceNodePortRange(range: PortRange(low: 30000, high: 32767)!)

    public var isDefault: Bool { file == nil }

    /// `30000-32767 (from /etc/kubernetes/manifests/kube-apiserver.yaml)`, `30000-32767 (the Kubernetes default)`.
    public var description: String {
        "\(range) (" + (file.map { "from \($0)" } ?? "the Kubernetes default: no --service-node-port-range found on the node") + ")"
    }

    /// Files that may set it, in the order they are read: kubeadm's static
    /// API server manifest, MicroK8s' API server arguments, k3s' and RKE2's
    /// config files. kube-proxy's own configuration has no such setting (the
    /// API server allocates NodePorts; kube-proxy serves whatever it is given).
    public static let files = [
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "/etc/kubernetes/manifests/kube-apiserver.yml",
        "/etc/kubernetes/manifests/kube-apiserver.json",
        "/var/snap/microk8s/current/args/kube-apiserver",
        "/etc/rancher/k3s/config.yaml",
        "/etc/rancher/rke2/config.yaml",
    ]
    /// Directories of more files of the same kinds (every static pod manifest, k3s' drop-ins).
    public static let directories = ["/etc/kubernetes/manifests", "/etc/rancher/k3s/config.yaml.d", "/etc/rancher/rke2/config.yaml.d"]

    /// The range the node's files give, else the default. Read-only; a file
    /// that cannot be read or a value that does not parse is a warning.
    public static func discover(root: NodeRoot = .host) -> ServiceNodePortRange {
        var candidates = files
        for directory in directories {
            for name in root.list(directory) where name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json") {
                let path = "\(directory)/\(name)"
                if !candidates.contains(path) { candidates.append(path) }
            }
        }
        var found: ServiceNodePortRange?
        var warnings: [KubernetesWarning] = []
        for nodePath in candidates where root.exists(nodePath) && !NodeFiles.isDirectory(root.path(nodePath)) {
            let file = root.path(nodePath)
            let text: String
            do { text = try root.read(nodePath) } catch {
                warnings.append(KubernetesWarning(subject: file, message: "\(error.reason); skipped"))
                continue
            }
            guard let value = setting(in: text) else { continue }
            guard let range = parse(value) else {
                warnings.append(
                    KubernetesWarning(subject: file, message: "service-node-port-range '\(value)' is not LOW-HIGH or BASE+SIZE; skipped"))
                continue
            }
            if let first = found {
                if first.range != range {
                    warnings.append(
                        KubernetesWarning(
                            subject: file,
                            message:
                                "service-node-port-range \(range) differs from \(first.range) in \(first.file ?? "?"); the first is used"))
                }
            } else {
                found = ServiceNodePortRange(range: range, file: file)
            }
        }
        var result = found ?? .kubernetesDefault
        result.warnings = warnings
        return result
    }

    /// The value of the first `service-node-port-range` setting in a
    /// manifest, an arguments file or a k3s config, in any of their
    /// spellings: `--service-node-port-range=A-B`, `--service-node-port-range A-B`,
    /// `service-node-port-range: "A-B"`, `"service-node-port-range=A-B"`
    /// (k3s' `kube-apiserver-arg`). Commented lines (`#`) are skipped.
    public static func setting(in text: String) -> String? {
        let key = "service-node-port-range"
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("#") { continue }
            var rest = Substring(trimmed)
            while let found = rest.range(of: key) {
                var value = rest[found.upperBound...]
                // A longer key that merely starts with this one is not it.
                guard let next = value.first, next == "=" || next == ":" || next == " " || next == "\"" || next == "'" || next == "\t"
                else {
                    rest = value
                    continue
                }
                value = value.drop { $0 == "=" || $0 == ":" || $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "," }
                let word = value.prefix { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }
                if !word.isEmpty { return String(word) }
                // The flag's value on the next YAML list item (`- --service-node-port-range`, `- 30000-32767`) is rare; not followed.
                rest = value
            }
        }
        return nil
    }

    /// `LOW-HIGH`, `BASE+SIZE` (the API server's own notation: BASE to
    /// BASE+SIZE), or one port.
    public static func parse(_ value: String) -> PortRange? {
        let parts = value.split(separator: "+", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let base = UInt16(parts[0]), let size = UInt16(parts[1]), Int(base) + Int(size) <= 65535 else { return nil }
            return PortRange(low: base, high: base + size)
        }
        guard parts.count == 1, !value.hasPrefix("-"), let range = try? PortRange(parsing: value), !value.contains(":") else { return nil }
        return range
    }
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Substring.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
            index = self.index(after: index)
        }
        return nil
    }
}
